import Foundation
import MRICore
import Numerics

/// The file layouts MetaGRAPPA reads and writes k-space in.
public enum KSpaceFormat: String, Sendable, CaseIterable {
    /// NumPy `.npy`: `[coils, ky, kx]`, or `[slices, coils, ky, kx]` for a volume.
    case npy
    /// BART `.cfl` + `.hdr`: column-major `[READ, PHS1, PHS2 = 1, COIL, …, SLICE (dim 13)]`.
    case cfl
    /// fastMRI HDF5: dataset `kspace`, `[slices, coils, readout, phase]`.
    case fastMRI = "fastmri"
    /// ISMRMRD HDF5: `/dataset/data` acquisitions and `/dataset/xml` (read only).
    case ismrmrd
    /// Siemens raw data (`meas_*.dat`, "twix"; software VB, VD, VE, XA; read only).
    case twix
}

/// Multi-slice k-space on disk, read one slice `[coils, ky, kx]` at a time so that memory
/// stays bounded by a few slices however big the volume.
public protocol KSpaceVolumeReader: AnyObject {
    /// The file, for messages.
    var source: String { get }
    /// The layout it is stored in.
    var format: KSpaceFormat { get }
    /// Number of slices (1 for a single `[coils, ky, kx]` array).
    var slices: Int { get }
    /// Coils, phase-encode lines and readout samples of every slice.
    var sliceShape: (coils: Int, ny: Int, nx: Int) { get }
    /// Reads slice `index` (NaN or Inf is refused).
    func readSlice(_ index: Int) throws -> KSpace
    /// The lines the file records as acquired for slice `index`, or nil if the format
    /// records no sampling pattern (only ISMRMRD does).
    func acquiredLines(slice index: Int) throws -> SamplingMask?
    /// Noise-only samples the file carries (Siemens noise-adjust scans, ISMRMRD noise
    /// acquisitions) as `[coils, readouts, samples]`, or nil if it has none.
    func noiseScans() throws -> KSpace?
    /// The factor that turns the variance of a ``noiseScans()`` sample into that of a sample of
    /// ``readSlice(_:)``, where the file says (its noise and imaging dwell times, its receiver's
    /// noise bandwidth, the averages a line is the mean of); nil where it does not.
    var noiseVarianceScale: Double? { get }
    /// What the file records about its acquisition beyond the data (scanner, protocol),
    /// as name–value pairs for a person to read; empty for formats that record nothing.
    var properties: [(name: String, value: String)] { get }
    /// Where its slices lie in the scanner, or nil if the format does not record it.
    func geometry() throws -> ScanGeometry?
    /// The readout samples that were acquired, where fewer than all (an asymmetric echo:
    /// partial Fourier in the readout); nil: all of them.
    var acquiredReadout: Range<Int>? { get }
    /// For a slice that carries no calibration lines of its own (a later echo, repetition or
    /// set whose reference lines were acquired once), the slice of the same position that
    /// does; nil otherwise.
    func calibrationSlice(for index: Int) throws -> Int?
    /// For a 3-D acquisition, its partitions (kz) per slab: consecutive runs of this many
    /// slices form one slab, partition innermost; 1 for 2-D data.
    var partitions: Int { get }
}

/// The partitions per slab of a file whose scans carry the partition counters `counters`
/// (named `name` in its format) and whose header gives `declared` (Siemens
/// `sKSpace.lPartitions`, ISMRMRD `matrixSize.z`): the declared count where the counters fit
/// in it (acceleration along kz leaves the last partitions unsampled), else the counters';
/// 1 for 2-D data. Counters that are implausible as an acquisition are refused.
func partitionCount(counters: [Int], name: String, declared: Int?, source: String) throws -> Int {
    let counted = (counters.max() ?? 0) + 1
    guard counted > 1 else { return 1 }
    try requirePlausibleCounters(counters, of: "partitions", name: name, source: source)
    return max(counted, declared.flatMap { (1...4096).contains($0) ? $0 : nil } ?? 0)
}

/// Refuses counters (line or partition indices, named `name` in the file's format) of which
/// at most one value in 32 up to the highest holds data: a damaged counter, not an
/// acquisition — and no gigabytes of zeros, or minutes of work, for a few readouts.
func requirePlausibleCounters(_ counters: [Int], of what: String, name: String, source: String) throws {
    let distinct = Set(counters).count, highest = counters.max() ?? 0
    guard distinct * 32 > highest else {
        throw MRIError(.format, "\(source): only \(distinct) distinct \(what) hold data among \(name) up to \(highest): not a plausible acquisition (damaged \(name)?)")
    }
}

/// How the partitions of one 3-D slab were sampled, as `recon` and `info` both judge it.
public struct SlabSampling {
    /// Each partition's acquired lines (empty for a partition without a record).
    public let lines: [[Bool]]
    /// The partitions from the first to the last that hold any line: all of them, or fewer
    /// under partial Fourier along kz.
    public let measured: Range<Int>

    public init(lines: [[Bool]]) {
        self.lines = lines
        let holding = lines.indices.filter { lines[$0].contains(true) }
        measured = holding.first.flatMap { first in holding.last.map { first..<($0 + 1) } } ?? 0..<lines.count
    }

    /// Whether the measured partitions are sampled alike (acceleration along ky alone): the
    /// slab is reconstructed plane by plane; otherwise in (kz, ky).
    public var alike: Bool { lines[measured].allSatisfy { $0 == lines[measured.lowerBound] } }
    /// Whether partitions at an end were never acquired.
    public var partialAlongKz: Bool { measured != lines.indices }
    /// "a…b of N", the measured partitions.
    public var measuredDescription: String { "\(measured.lowerBound)…\(measured.upperBound - 1) of \(lines.count)" }
}

/// Multi-slice k-space being written, slice by slice in any order; the file appears only
/// when ``commit()`` succeeds (written to a temporary file, then renamed).
public protocol KSpaceVolumeWriter: AnyObject {
    /// Writes slice `index`, which must have the shape the writer was made for.
    func write(_ k: KSpace, slice index: Int) throws
    /// Finishes the file and moves it into place.
    func commit() throws
}

extension KSpaceVolumeReader {
    public func acquiredLines(slice index: Int) throws -> SamplingMask? { nil }
    public func noiseScans() throws -> KSpace? { nil }
    public var noiseVarianceScale: Double? { nil }
    public func geometry() throws -> ScanGeometry? { nil }
    public var acquiredReadout: Range<Int>? { nil }
    public func calibrationSlice(for index: Int) throws -> Int? { nil }
    public var partitions: Int { 1 }

    /// The lines slice `index` is reconstructed with: its own; for a z plane of a 3-D slab
    /// sampled alike in every partition that holds lines (ky-only acceleration) whose own
    /// partition holds none (partial Fourier along kz), those of the slab's first partition
    /// that holds any.
    public func planeLines(slice index: Int) throws -> SamplingMask? {
        let own = try acquiredLines(slice: index)
        guard partitions > 1, own.map({ !$0.acquired.contains(true) }) ?? false else { return own }
        let slab = index / partitions
        for z in (slab * partitions)..<((slab + 1) * partitions) {
            if let lines = try acquiredLines(slice: z), lines.acquired.contains(true) { return lines }
        }
        return own
    }

    /// The lines each partition of 3-D slab `slab` records as acquired.
    public func sampling(ofSlab slab: Int) throws -> SlabSampling {
        SlabSampling(lines: try (slab * partitions..<(slab + 1) * partitions).map { try acquiredLines(slice: $0)?.acquired ?? [] })
    }

    /// The noise variance of one sample of one coil of ``readSlice(_:)`` (mean over the coils):
    /// that of `noise`, this file's ``noiseScans()``, times ``noiseVarianceScale``; nil where
    /// the file does not give the scale.
    public func imagingNoiseVariance(noise: KSpace) -> Double? {
        guard let scale = noiseVarianceScale, !noise.data.isEmpty else { return nil }
        let sum = noise.data.reduce(0.0) { $0 + Double($1.real) * Double($1.real) + Double($1.imaginary) * Double($1.imaginary) }
        return sum / Double(noise.data.count) * scale
    }
    public var properties: [(name: String, value: String)] { [] }

    /// Slice `index` as read: `k` holds the sum of `counts[y]` readouts on line `y` (repeated
    /// averages or segments), returned as their mean and checked finite.
    func averagedSlice(_ k: consuming KSpace, lineCounts counts: [Int], index: Int) throws -> KSpace {
        for y in 0..<k.ny where counts[y] > 1 {
            let w = Complex<Float>(1 / Float(counts[y]), 0)
            for coil in 0..<k.coils { for x in 0..<k.nx { k.data[(coil * k.ny + y) * k.nx + x] *= w } }
        }
        try k.validateFinite(source: slices > 1 ? "\(source) slice \(index)" : source)
        return k
    }

    /// Throws unless `index` names a slice of this volume.
    func checkSlice(_ index: Int) throws {
        guard (0..<slices).contains(index) else {
            throw MRIError(.invalidArgument, "\(source): slice \(index) requested, the file has \(slices) (0…\(slices - 1))")
        }
    }
}

/// Shape checks shared by the writers.
enum SliceCheck {
    static func check(_ k: KSpace, index: Int, slices: Int, shape: (coils: Int, ny: Int, nx: Int), path: String) throws {
        guard (0..<slices).contains(index) else {
            throw MRIError(.invalidArgument, "\(path): slice \(index) is outside 0…\(slices - 1)")
        }
        guard k.coils == shape.coils, k.ny == shape.ny, k.nx == shape.nx else {
            throw MRIError(.invalidArgument, "\(path): slice of shape \(k.shape), the file holds \([shape.coils, shape.ny, shape.nx])")
        }
    }
}
