import Foundation
import MRICore

/// BART's `.cfl`/`.hdr` pair: the `.hdr` text gives up to 16 dimensions after a
/// `# Dimensions` line, the `.cfl` holds complex float32 samples, column-major (the first
/// dimension fastest). BART's axes are `[READ, PHS1, PHS2, COIL, MAPS, TE, …]`, slices on
/// dimension 13; MetaGRAPPA's `[coils, ky, kx]` row-major is `[READ = kx, PHS1 = ky, 1,
/// COIL]` column-major: the same bytes, so slices are read and written without reordering.
public enum CflFile {
    /// BART's slice dimension.
    public static let sliceDimension = 13

    /// `path` without its `.cfl`/`.hdr` extension: BART names a pair by its base.
    public static func base(of path: String) -> String {
        for ext in [".cfl", ".hdr"] where path.hasSuffix(ext) { return String(path.dropLast(ext.count)) }
        return path
    }

    /// Parses a `.hdr` text into its dimensions.
    static func parseHeader(_ text: String, source: String) throws -> [Int] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard let at = lines.firstIndex(of: "# Dimensions"), at + 1 < lines.count else {
            throw MRIError(.format, "\(source): no '# Dimensions' line (not a BART header)")
        }
        let fields = lines[at + 1].split(whereSeparator: { $0 == " " || $0 == "\t" })
        let dims = fields.compactMap { Int($0) }
        guard !fields.isEmpty, dims.count == fields.count, fields.count <= 16 else {
            throw MRIError(.format, "\(source): dimensions must be 1 to 16 integers, found '\(lines[at + 1].prefix(80))'")
        }
        if let bad = dims.firstIndex(where: { $0 < 1 }) {
            throw MRIError(.format, "\(source): dimension \(bad) is \(dims[bad]); every dimension must be at least 1")
        }
        return dims + [Int](repeating: 1, count: 16 - dims.count)
    }

    /// The header text for `dims` (padded to 16 with ones).
    static func header(_ dims: [Int]) -> String {
        let all = dims + [Int](repeating: 1, count: max(0, 16 - dims.count))
        return "# Dimensions\n" + all.map(String.init).joined(separator: " ") + "\n"
    }
}

/// Reads a `.cfl`/`.hdr` pair slice by slice.
public final class CflVolumeReader: KSpaceVolumeReader {
    public let source: String
    public let format = KSpaceFormat.cfl
    public let slices: Int
    public let sliceShape: (coils: Int, ny: Int, nx: Int)
    private let data: String

    /// Opens `path` (`x.cfl`, `x.hdr` or the base `x`) and checks the header against the data size.
    public init(_ path: String) throws {
        let base = CflFile.base(of: path)
        let hdr = base + ".hdr"
        data = base + ".cfl"
        source = data
        let text: String = try BinaryFile.withOpenFile(hdr) { fd, size in
            guard size <= 1 << 16 else { throw MRIError(.format, "\(hdr): \(size) bytes is too large for a BART header") }
            var bytes = [UInt8](repeating: 0, count: size)
            try bytes.withUnsafeMutableBytes { try BinaryFile.readFully(fd: fd, into: $0, offset: 0, source: hdr) }
            guard let s = String(validatingCString: bytes.map { CChar(bitPattern: $0) } + [0]) else {
                throw MRIError(.format, "\(hdr): not a text file")
            }
            return s
        }
        let dims = try CflFile.parseHeader(text, source: hdr)
        for (d, n) in dims.enumerated() where n > 1 && ![0, 1, 3, CflFile.sliceDimension].contains(d) {
            let why = d == 2 ? "3-D encoding (PHS2) is not supported; reconstruct each partition as a 2-D slice"
                             : "only READ (0), PHS1 (1), COIL (3) and SLICE (13) may exceed 1"
            throw MRIError(.format, "\(hdr): dimension \(d) is \(n): \(why)")
        }
        guard let total = BinaryFile.checkedProduct(dims) else {
            throw MRIError(.format, "\(hdr): dimensions \(dims.prefix(14)) overflow")
        }
        let size: Int = try BinaryFile.withOpenFile(data) { _, size in size }
        guard size == total * 8 else {
            throw MRIError(.format, "\(data): \(size) bytes, the header's dimensions need \(total * 8) (complex float32)")
        }
        slices = dims[CflFile.sliceDimension]
        sliceShape = (dims[3], dims[1], dims[0])
    }

    public func readSlice(_ index: Int) throws -> KSpace {
        try checkSlice(index)
        let n = sliceShape.coils * sliceShape.ny * sliceShape.nx
        let samples = try BinaryFile.withOpenFile(data) { fd, _ in
            try BinaryFile.readComplex64(fd: fd, count: n, offset: index * n * 8, source: source)
        }
        let k = try KSpace(coils: sliceShape.coils, ny: sliceShape.ny, nx: sliceShape.nx, data: samples)
        try k.validateFinite(source: slices > 1 ? "\(source) slice \(index)" : source)
        return k
    }
}

/// Writes a `.cfl`/`.hdr` pair slice by slice; ``commit()`` moves the `.cfl` into place,
/// then the `.hdr`.
public final class CflVolumeWriter: KSpaceVolumeWriter {
    private let data: AtomicFile.Pending
    private let base: String
    private let dims: [Int]
    private let slices: Int
    private let shape: (coils: Int, ny: Int, nx: Int)

    /// Starts the pair named by `path` (`x.cfl`, `x.hdr` or `x`).
    public init(path: String, slices: Int, sliceShape shape: (coils: Int, ny: Int, nx: Int)) throws {
        base = CflFile.base(of: path)
        var dims = [shape.nx, shape.ny, 1, shape.coils] + [Int](repeating: 1, count: 12)
        dims[CflFile.sliceDimension] = slices
        self.dims = dims
        (self.slices, self.shape) = (slices, shape)
        data = try AtomicFile.Pending(path: base + ".cfl")
        try data.reserve(slices * shape.coils * shape.ny * shape.nx * 8)
    }

    public func write(_ k: KSpace, slice index: Int) throws {
        try SliceCheck.check(k, index: index, slices: slices, shape: shape, path: data.path)
        try k.data.withUnsafeBytes { try data.write($0, at: index * k.data.count * 8) }
    }

    public func commit() throws {
        try data.commit()
        try AtomicFile.write(Array(CflFile.header(dims).utf8), to: base + ".hdr")
    }
}
