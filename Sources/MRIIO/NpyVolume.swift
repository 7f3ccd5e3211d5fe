import Foundation
import MRICore
import Numerics

/// A `.npy` k-space file: `[coils, ky, kx]` (one slice) or `[slices, coils, ky, kx]`,
/// complex64 or complex128 (read slice by slice; a 3-D file in any byte order or
/// memory order numpy writes).
public final class NpyVolumeReader: KSpaceVolumeReader {
    public let source: String
    public let format = KSpaceFormat.npy
    public let slices: Int
    public let sliceShape: (coils: Int, ny: Int, nx: Int)
    /// The stored element type (outputs keep it).
    public let elementType: NpyElementType
    private let header: NpyHeader

    /// Opens and checks the header of `path`.
    public init(_ path: String) throws {
        let header = try NpyFile.header(of: path)
        guard header.elementType.isComplex else {
            throw MRIError(.format, "\(path): expected complex k-space (complex64 '<c8'), found dtype \(header.elementType.descr)")
        }
        guard header.shape.count == 3 || header.shape.count == 4 else {
            throw MRIError(.format, "\(path): expected k-space [coils, ky, kx] or [slices, coils, ky, kx], found shape \(header.shape)")
        }
        guard header.count > 0 else { throw MRIError(.format, "\(path): k-space shape \(header.shape) is empty") }
        if header.shape.count == 4 && (header.fortranOrder || header.bigEndian) {
            throw MRIError(.format, "\(path): a 4-D volume must be little-endian C order (np.ascontiguousarray); found \(header.fortranOrder ? "Fortran order" : "big-endian data")")
        }
        let s = header.shape.suffix(3).map { $0 }
        source = path
        self.header = header
        elementType = header.elementType
        slices = header.shape.count == 4 ? header.shape[0] : 1
        sliceShape = (s[0], s[1], s[2])
    }

    public func readSlice(_ index: Int) throws -> KSpace {
        try checkSlice(index)
        if header.shape.count == 3 { return try NpyFile.readKSpace(source).kspace }
        let n = sliceShape.coils * sliceShape.ny * sliceShape.nx
        let data: [Complex<Float>] = try BinaryFile.withOpenFile(source) { fd, _ in
            if elementType == .complex64 {
                return try BinaryFile.readComplex64(fd: fd, count: n, offset: header.dataOffset + index * n * 8, source: source)
            }
            var wide = [Double](repeating: 0, count: 2 * n)
            try wide.withUnsafeMutableBytes {
                try BinaryFile.readFully(fd: fd, into: $0, offset: header.dataOffset + index * n * 16, source: source)
            }
            return wide.withUnsafeBufferPointer { BinaryFile.narrowed($0) }
        }
        let k = try KSpace(coils: sliceShape.coils, ny: sliceShape.ny, nx: sliceShape.nx, data: data)
        try k.validateFinite(source: "\(source) slice \(index)")
        return k
    }
}

/// Writes a `.npy` k-space file slice by slice: `[coils, ky, kx]` for one slice (unless
/// `volume` asks for the 4-D layout), `[slices, coils, ky, kx]` otherwise.
public final class NpyVolumeWriter: KSpaceVolumeWriter {
    private let file: AtomicFile.Pending
    private let slices: Int
    private let shape: (coils: Int, ny: Int, nx: Int)
    private let elementType: NpyElementType
    private let dataOffset: Int

    /// Starts `path` for `slices` slices of `shape`, stored as `elementType`.
    public init(path: String, slices: Int, sliceShape shape: (coils: Int, ny: Int, nx: Int),
                elementType: NpyElementType = .complex64, volume: Bool? = nil) throws {
        precondition(elementType.isComplex, "k-space is written as a complex type")
        let dims = (volume ?? (slices > 1)) ? [slices, shape.coils, shape.ny, shape.nx] : [shape.coils, shape.ny, shape.nx]
        precondition(dims.count == 4 || slices == 1, "several slices need the 4-D layout")
        let header = NpyHeader.encode(elementType: elementType, shape: dims)
        let file = try AtomicFile.Pending(path: path)
        try file.reserve(header.count + slices * shape.coils * shape.ny * shape.nx * elementType.size)
        try header.withUnsafeBytes { try file.write($0, at: 0) }
        self.file = file
        (self.slices, self.shape, self.elementType, dataOffset) = (slices, shape, elementType, header.count)
    }

    public func write(_ k: KSpace, slice index: Int) throws {
        try SliceCheck.check(k, index: index, slices: slices, shape: shape, path: file.path)
        let n = k.data.count
        if elementType == .complex64 {
            try k.data.withUnsafeBytes { try file.write($0, at: dataOffset + index * n * 8) }
        } else {
            try BinaryFile.widened(k.data).withUnsafeBytes { try file.write($0, at: dataOffset + index * n * 16) }
        }
    }

    public func commit() throws { try file.commit() }
}
