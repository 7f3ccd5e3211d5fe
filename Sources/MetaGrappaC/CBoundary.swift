import Foundation
import MRICore
import Numerics

/// What crosses the C boundary: status codes, error messages, arrays behind pointers.
///
/// Every entry point returns 0 on success or the exit code of the failure's kind
/// (``MRICore/MRIError/Kind/exitCode``: 64 bad argument, 65 bad data, 66 file, 70 numerical),
/// with the message, NUL-terminated and truncated to fit, in the caller's buffer.
enum CBoundary {
    /// Runs `body`, turning any error into a status and a message in `error` (`capacity` bytes).
    static func run(_ message: UnsafeMutablePointer<CChar>?, _ capacity: Int64, _ body: () throws -> Void) -> Int32 {
        do {
            try body()
            return 0
        } catch let e as MRIError {
            write(e.message, to: message, capacity: capacity)
            return e.kind.exitCode
        } catch {
            write("\(error)", to: message, capacity: capacity)
            return MRIError.Kind.numerical.exitCode
        }
    }

    /// Copies `text` into a C buffer of `capacity` bytes, NUL-terminated, cut on a UTF-8 boundary.
    static func write(_ text: String, to buffer: UnsafeMutablePointer<CChar>?, capacity: Int64) {
        guard let buffer, capacity > 0 else { return }
        var bytes = Array(text.utf8.prefix(Int(capacity) - 1))
        while let last = bytes.last, last & 0xC0 == 0x80 { bytes.removeLast() }  // a cut continuation byte
        if let last = bytes.last, last >= 0xC0 { bytes.removeLast() }  // a lead byte without its continuation
        for (i, b) in bytes.enumerated() { buffer[i] = CChar(bitPattern: b) }
        buffer[bytes.count] = 0
    }

    /// Checks a `[coils, ny, nx]` shape from C and returns the number of complex samples.
    static func count(coils: Int32, ny: Int32, nx: Int32) throws -> Int {
        guard coils >= 1, ny >= 1, nx >= 1 else {
            throw MRIError(.invalidArgument, "k-space shape [\(coils), \(ny), \(nx)]: every dimension must be at least 1")
        }
        let (n, overflow) = (Int(coils) * Int(ny)).multipliedReportingOverflow(by: Int(nx))
        guard !overflow, n <= 1 << 31 else { throw MRIError(.invalidArgument, "k-space shape [\(coils), \(ny), \(nx)] is too large") }
        return n
    }

    /// The k-space behind `samples` (interleaved complex64, C order `[coils, ny, nx]`).
    static func kspace(_ samples: UnsafePointer<Float>?, coils: Int32, ny: Int32, nx: Int32) throws -> KSpace {
        let n = try count(coils: coils, ny: ny, nx: nx)
        guard let samples else { throw MRIError(.invalidArgument, "k-space pointer is null") }
        let data = samples.withMemoryRebound(to: Complex<Float>.self, capacity: n) { Array(UnsafeBufferPointer(start: $0, count: n)) }
        let k = try KSpace(coils: Int(coils), ny: Int(ny), nx: Int(nx), data: data)
        try k.validateFinite(source: "the k-space")
        return k
    }

    /// The 1-D ky mask behind `mask` (`ny` bytes, non-zero = acquired).
    static func mask(_ mask: UnsafePointer<UInt8>?, ny: Int32) throws -> SamplingMask {
        guard let mask else { throw MRIError(.invalidArgument, "mask pointer is null") }
        return SamplingMask(acquired: (0..<Int(ny)).map { mask[$0] != 0 })
    }

    /// Copies `k` into `out` (interleaved complex64, `k.data.count` values).
    static func store(_ k: KSpace, to out: UnsafeMutablePointer<Float>?) throws {
        guard let out else { throw MRIError(.invalidArgument, "output pointer is null") }
        k.data.withUnsafeBufferPointer { src in
            out.withMemoryRebound(to: Complex<Float>.self, capacity: src.count) { $0.update(from: src.baseAddress!, count: src.count) }
        }
    }

    /// A JSON object from C (nil or empty = no keys).
    static func object(_ json: UnsafePointer<CChar>?) throws -> [String: Any] {
        guard let json, json.pointee != 0 else { return [:] }
        guard let value = try? JSONSerialization.jsonObject(with: Data(String(cString: json).utf8)),
              let object = value as? [String: Any] else {
            throw MRIError(.invalidArgument, "options are not a JSON object: \(String(cString: json).prefix(200))")
        }
        return object
    }

    /// `value` (an object or an array) as JSON text, keys sorted.
    static func json(_ value: Any) -> String {
        (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
            ?? (value is [Any] ? "[]" : "{}")
    }
}
