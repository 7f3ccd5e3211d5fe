import CShippedData
import MRICore
import MRIIO

/// A magnitude brain volume, uint8 voxels `[z, y, x]` in C order: the raw material of the
/// simulated brain scans (``BrainTaskSimulator``).
public struct BrainVolume: Sendable {
    /// Voxels, `(z · height + y) · width + x`.
    public let voxels: [UInt8]
    /// Sizes along z, y and x.
    public let depth: Int, height: Int, width: Int

    /// Checks a parsed `.npy` array (`source` names it in errors).
    public init(_ array: NpyArray, source: String) throws {
        let shape = array.header.shape
        guard shape.count == 3, array.header.elementType == .uint8, !array.header.fortranOrder else {
            throw MRIError(.format, "\(source): expected a C-order uint8 volume [z, y, x], found \(array.header.elementType) \(shape)")
        }
        (voxels, depth, height, width) = (array.bytes, shape[0], shape[1], shape[2])
    }

    /// Reads a uint8 `[z, y, x]` `.npy` file.
    public static func read(_ path: String) throws -> BrainVolume {
        try BrainVolume(try NpyFile.read(path), source: path)
    }

    /// The Colin27 single-subject T1 volume (181 × 217 × 181, 1 mm; from Debian's
    /// `mricron-data`, BSD-3-clause, Data/colin27/), linked into the binary gzip-compressed
    /// and decompressed here (~0.1 s). Slices z ≥ 110 are reserved for testing methods:
    /// nothing in the project trains, tunes or validates on them.
    public static func colin27() throws -> BrainVolume {
        let file = mg_shipped_colin27()
        let source = "the shipped Colin27 volume"
        let npy = try Gzip.decompress(UnsafeRawBufferPointer(start: file.bytes, count: file.size), source: source)
        return try BrainVolume(try NpyFile.read(bytes: npy, source: source), source: source)
    }
}

extension BrainTaskSimulator {
    /// A simulator for `volume` (see ``init(volume:depth:height:width:matrix:array:)``).
    public init(volume: BrainVolume, matrix: Int = 288, array: (centres: [(Double, Double, Double)], perRing: Int)? = nil) throws {
        try self.init(volume: volume.voxels, depth: volume.depth, height: volume.height, width: volume.width,
                      matrix: matrix, array: array)
    }
}
