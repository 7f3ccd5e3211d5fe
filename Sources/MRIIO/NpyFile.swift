import Foundation
import MRICore
import Numerics

/// An array read from a `.npy` file: header plus the elements' raw little-endian
/// bytes in C order (byte order and Fortran order already undone).
public struct NpyArray: Sendable {
    /// The parsed header (shape, element type as stored).
    public let header: NpyHeader
    /// Element bytes, little-endian, C order.
    public let bytes: [UInt8]

    /// The elements as Double (real types and bool only).
    public func realValues() -> [Double] {
        bytes.withUnsafeBytes { raw in
            (0..<header.count).map { i -> Double in
                let p = raw.baseAddress! + i * header.elementType.size
                switch header.elementType {
                case .bool, .uint8: return Double(p.load(as: UInt8.self))
                case .int8: return Double(p.load(as: Int8.self))
                case .int16: return Double(p.loadUnaligned(as: Int16.self))
                case .int32: return Double(p.loadUnaligned(as: Int32.self))
                case .int64: return Double(p.loadUnaligned(as: Int64.self))
                case .float32: return Double(p.loadUnaligned(as: Float.self))
                case .float64: return p.loadUnaligned(as: Double.self)
                case .complex64, .complex128: return .nan
                }
            }
        }
    }
}

/// Reading and writing NumPy `.npy` files (format 1.0–3.0; C or Fortran order; either
/// byte order). Sizes are checked against the file before anything is allocated, so a
/// header that claims terabytes is refused, not obeyed.
public enum NpyFile {
    /// Reads and checks only the header of an `.npy` file (shape, type, data size).
    public static func header(of path: String) throws -> NpyHeader {
        try BinaryFile.withOpenFile(path) { fd, size in try readHeader(fd: fd, fileSize: size, source: path) }
    }

    /// Reads the header and the raw elements of any supported `.npy` file.
    public static func read(_ path: String) throws -> NpyArray {
        try BinaryFile.withOpenFile(path) { fd, size in
            let header = try readHeader(fd: fd, fileSize: size, source: path)
            var bytes = [UInt8](repeating: 0, count: header.count * header.elementType.size)
            try bytes.withUnsafeMutableBytes { try BinaryFile.readFully(fd: fd, into: $0, offset: header.dataOffset, source: path) }
            return NpyArray(header: header, bytes: normalised(bytes, header))
        }
    }

    /// Parses a whole `.npy` file held in memory (`source` names it in errors).
    public static func read(bytes: [UInt8], source: String) throws -> NpyArray {
        let header = try NpyHeader.parse(bytes, fileSize: bytes.count, source: source)
        let end = header.dataOffset + header.count * header.elementType.size
        return NpyArray(header: header, bytes: normalised(Array(bytes[header.dataOffset..<end]), header))
    }

    /// Reads multi-coil k-space `[coils, ky, kx]` stored as complex64 or complex128, and
    /// returns it with the element type it was stored as. NaN or Inf is refused.
    public static func readKSpace(_ path: String) throws -> (kspace: KSpace, storedAs: NpyElementType) {
        try BinaryFile.withOpenFile(path) { fd, size in
            let header = try readHeader(fd: fd, fileSize: size, source: path)
            guard header.elementType.isComplex else {
                throw MRIError(.format, "\(path): expected complex k-space (complex64 '<c8'), found dtype \(header.elementType.descr)")
            }
            guard header.shape.count == 3 else {
                throw MRIError(.format, "\(path): expected k-space of rank 3 [coils, ky, kx], found shape \(header.shape)")
            }
            guard header.count > 0 else {
                throw MRIError(.format, "\(path): k-space shape \(header.shape) is empty")
            }
            let n = header.count
            var data: [Complex<Float>]
            if header.elementType == .complex64 && !header.bigEndian && !header.fortranOrder {
                // Fast path: straight from the file into the array's storage.
                data = try [Complex<Float>](unsafeUninitializedCapacity: n) { buf, count in
                    try BinaryFile.readFully(fd: fd, into: UnsafeMutableRawBufferPointer(buf), offset: header.dataOffset, source: path)
                    count = n
                }
            } else {
                var bytes = [UInt8](repeating: 0, count: n * header.elementType.size)
                try bytes.withUnsafeMutableBytes { try BinaryFile.readFully(fd: fd, into: $0, offset: header.dataOffset, source: path) }
                bytes = normalised(bytes, header)
                data = bytes.withUnsafeBytes { raw in
                    if header.elementType == .complex64 {
                        return Array(raw.bindMemory(to: Complex<Float>.self))
                    }
                    return BinaryFile.narrowed(raw.bindMemory(to: Double.self))
                }
            }
            let k = try KSpace(coils: header.shape[0], ny: header.shape[1], nx: header.shape[2], data: data)
            try k.validateFinite(source: path)
            return (k, header.elementType)
        }
    }

    /// Reads a 1-D phase-encode mask (bool, integer or float with values 0 and 1).
    /// When `expectedLength` is given, a mask of another length is refused.
    public static func readMask(_ path: String, expectedLength: Int? = nil) throws -> SamplingMask {
        let array = try read(path)
        guard !array.header.elementType.isComplex else {
            throw MRIError(.format, "\(path): a mask must be bool or uint8, found complex dtype \(array.header.elementType.descr)")
        }
        guard array.header.shape.count == 1 else {
            throw MRIError(.format, "\(path): a mask must be 1-D (one flag per ky line), found shape \(array.header.shape)")
        }
        if let n = expectedLength, array.header.count != n {
            throw MRIError(.format, "\(path): mask has \(array.header.count) entries but the k-space has \(n) ky lines")
        }
        let values = array.realValues()
        if let bad = values.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw MRIError(.format, "\(path): mask values must be 0 or 1, found \(values[bad]) at index \(bad)")
        }
        return SamplingMask(acquired: values.map { $0 == 1 })
    }

    /// Writes k-space as complex64 (default) or complex128, atomically.
    public static func write(_ k: KSpace, to path: String, as type: NpyElementType = .complex64) throws {
        precondition(type.isComplex, "k-space is written as a complex type")
        let header = NpyHeader.encode(elementType: type, shape: k.shape)
        try AtomicFile.write(to: path) { sink in
            try header.withUnsafeBytes { try sink($0) }
            if type == .complex64 {
                try k.data.withUnsafeBytes { try sink($0) }
            } else {
                try BinaryFile.widened(k.data).withUnsafeBytes { try sink($0) }
            }
        }
    }

    /// Writes a float32 array of the given shape, atomically.
    public static func write(_ values: [Float], shape: [Int], to path: String) throws {
        precondition(values.count == shape.reduce(1, *), "shape does not match the number of values")
        let header = NpyHeader.encode(elementType: .float32, shape: shape)
        try AtomicFile.write(to: path) { sink in
            try header.withUnsafeBytes { try sink($0) }
            try values.withUnsafeBytes { try sink($0) }
        }
    }

    /// Writes a 1-D bool mask, atomically.
    public static func write(_ mask: SamplingMask, to path: String) throws {
        try AtomicFile.write(NpyHeader.encode(elementType: .bool, shape: [mask.ny]) + mask.acquired.map { $0 ? 1 : 0 }, to: path)
    }

    // MARK: - Plumbing

    private static func readHeader(fd: Int32, fileSize: Int, source: String) throws -> NpyHeader {
        var prefix = [UInt8](repeating: 0, count: min(12, fileSize))
        try prefix.withUnsafeMutableBytes { try BinaryFile.readFully(fd: fd, into: $0, offset: 0, source: source) }
        // The fixed prefix gives the header length; read exactly that much (bounded,
        // so a lying length cannot make us allocate much), and let parse() judge it.
        var length = fileSize
        if prefix.count >= 10, prefix[6] == 1 { length = 10 + (Int(prefix[8]) | Int(prefix[9]) << 8) }
        if prefix.count >= 12, prefix[6] == 2 || prefix[6] == 3 {
            length = 12 + (0..<4).reduce(0) { $0 | Int(prefix[8 + $1]) << (8 * $1) }
        }
        length = min(length, fileSize, NpyHeader.maxHeaderLength + 12)
        var bytes = [UInt8](repeating: 0, count: length)
        try bytes.withUnsafeMutableBytes { try BinaryFile.readFully(fd: fd, into: $0, offset: 0, source: source) }
        return try NpyHeader.parse(bytes, fileSize: fileSize, source: source)
    }

    /// Undoes big-endian storage and Fortran order.
    private static func normalised(_ bytes: [UInt8], _ header: NpyHeader) -> [UInt8] {
        var out = bytes
        let t = header.elementType
        if header.bigEndian {
            // Complex values swap each real component separately.
            let word = t.isComplex ? t.size / 2 : t.size
            for start in stride(from: 0, to: out.count, by: word) { out[start..<(start + word)].reverse() }
        }
        if header.fortranOrder && header.shape.count > 1 {
            out = fortranToC(out, shape: header.shape, elementSize: t.size)
        }
        return out
    }

    /// Reorders column-major elements into row-major order.
    static func fortranToC(_ bytes: [UInt8], shape: [Int], elementSize: Int) -> [UInt8] {
        let count = shape.reduce(1, *)
        var out = [UInt8](repeating: 0, count: bytes.count)
        var fStrides = [Int](repeating: 1, count: shape.count)
        for k in 1..<shape.count { fStrides[k] = fStrides[k - 1] * shape[k - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        for c in 0..<count {
            var f = 0
            for k in 0..<shape.count { f += index[k] * fStrides[k] }
            for b in 0..<elementSize { out[c * elementSize + b] = bytes[f * elementSize + b] }
            var k = shape.count - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < shape[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        return out
    }
}
