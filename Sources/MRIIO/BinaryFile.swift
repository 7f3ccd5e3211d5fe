import Foundation
import MRICore
import Numerics

/// Reading regular files with positioned reads, shared by the binary formats.
enum BinaryFile {
    /// Opens `path` read-only, checks it is a non-empty regular file, and passes the
    /// descriptor and the file's size to `body`.
    static func withOpenFile<R>(_ path: String, _ body: (Int32, Int) throws -> R) throws -> R {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw MRIError(.io, "\(path): cannot open (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw MRIError(.io, "\(path): cannot stat (\(String(cString: strerror(errno))))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw MRIError(.io, "\(path): not a regular file") }
        guard st.st_size > 0 else { throw MRIError(.format, "\(path): file is empty") }
        return try body(fd, Int(st.st_size))
    }

    /// Fills `buffer` from `offset`; a file that ends early is an error naming `source`.
    static func readFully(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, offset: Int, source: String) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw MRIError(.io, "\(source): read failed or file ended early") }
            done += n
        }
    }

    /// Reads `count` complex64 samples (little-endian, interleaved) at `offset`.
    static func readComplex64(fd: Int32, count: Int, offset: Int, source: String) throws -> [Complex<Float>] {
        try [Complex<Float>](unsafeUninitializedCapacity: count) { buf, initialised in
            try readFully(fd: fd, into: UnsafeMutableRawBufferPointer(buf), offset: offset, source: source)
            initialised = count
        }
    }

    /// complex128 samples (interleaved doubles, native order) rounded to complex64.
    static func narrowed(_ doubles: UnsafeBufferPointer<Double>) -> [Complex<Float>] {
        (0..<doubles.count / 2).map { Complex(Float(doubles[2 * $0]), Float(doubles[2 * $0 + 1])) }
    }

    /// complex64 samples widened to complex128 (interleaved doubles), for `.npy` outputs
    /// that keep an input's complex128 type.
    static func widened(_ samples: [Complex<Float>]) -> [Double] {
        samples.flatMap { [Double($0.real), Double($0.imaginary)] }
    }

    /// The product of `dims`, or nil if it overflows `limit`.
    static func checkedProduct(_ dims: [Int], limit: Int = Int(Int32.max) * 64) -> Int? {
        var p = 1
        for d in dims {
            let (q, overflow) = p.multipliedReportingOverflow(by: d)
            guard !overflow, q <= limit else { return nil }
            p = q
        }
        return p
    }
}
