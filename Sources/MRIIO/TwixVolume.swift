import Foundation
import MRICore
import Numerics

/// A Siemens raw data file (`meas_*.dat`, software VB, VD, VE or XA) as k-space slices
/// `[coils, ky, kx]`.
///
/// The image data are those of the file's last measurement (earlier ones are adjustment
/// scans). Image scans and GRAPPA reference scans are sorted into slices by their slice,
/// echo, phase, repetition and set counters (slice innermost, as twixtools orders them);
/// averages and segments are averaged; reflected readouts are flipped. A line's data are
/// its image scans', or its reference scans' where it has no image scan, so an
/// accelerated acquisition's mask is its image lattice plus its reference block. Lines are
/// placed by the protocol's phase-encoding matrix and the recorded k-space centre line;
/// only where the line counters exceed the protocol's matrix (sequences whose protocol does
/// not describe what ran, such as Pulseq) does the number of lines come from the data.
/// The readout keeps its oversampling; an asymmetric echo is completed to its symmetric
/// readout with zeros. Noise-adjust scans give ``noiseScans()``.
/// A 3-D acquisition's partitions (kz) are further slices, innermost: slab `s`, partition
/// `p` is slice `s · partitions + p` (``partitions``).
/// Refused with a message: non-Cartesian trajectories, ramp-sampled readouts, readouts or
/// channel counts that change.
public final class TwixVolumeReader: KSpaceVolumeReader {
    public let source: String
    public let format = KSpaceFormat.twix
    public let slices: Int
    public let sliceShape: (coils: Int, ny: Int, nx: Int)
    /// What a user checks of the acquisition: software, scanner, coil, protocol, sampling.
    public private(set) var properties: [(name: String, value: String)] = []
    private let file: TwixFile
    /// Per slice, the scans that fill it: the scan, its line, whether it is a reference-only scan.
    let entries: [[(scan: TwixScan, line: Int, reference: Bool)]]
    private let noise: [TwixScan]
    /// Where a readout's first recorded sample goes (non-zero for an asymmetric echo).
    private let readoutShift: Int
    public let acquiredReadout: Range<Int>?
    /// Slice positions (slices × partitions): volume slice `i` is at position `i % positions`.
    private let positions: Int
    /// Partitions (kz) of a 3-D acquisition, innermost in the volume's slice index; 1 for 2-D.
    public let partitions: Int
    /// The protocol's field of view (mm), slice thickness and readout oversampling, where it
    /// gives them.
    let fieldOfView: (readout: Double, phase: Double, thickness: Double, oversampling: Int)?

    /// Opens `path` and reads every scan header of its image measurement.
    public init(_ path: String) throws {
        source = path
        file = try TwixFile(path)
        let last = file.measurements.count - 1
        let (buffers, start) = try file.protocolBuffers(of: last)
        let prot = TwixProtocol(buffers: buffers)
        if let trajectory = prot.integer("sKSpace.ucTrajectory"), trajectory != 1 {
            let name = [2: "radial", 4: "spiral", 8: "PROPELLER"][trajectory] ?? "code \(trajectory)"
            throw MRIError(.format, "\(path): the protocol's k-space trajectory is \(name): only Cartesian acquisitions are supported")
        }
        if let mode = prot.parameter("alRegridMode")?.split(separator: " ").first.flatMap({ Int($0) }), mode >= 2 {
            throw MRIError(.format, "\(path): readouts are ramp-sampled (regrid mode \(mode)): regridding is not supported")
        }
        let all = try file.scans(of: last, from: start)
        let image = all.filter(Self.isImage), reference = all.filter(Self.isReferenceOnly)
        guard let first = image.first else {
            throw MRIError(.format, "\(path): no image scans among the \(all.count) scans of its last measurement")
        }
        for s in image + reference {
            guard s.samples == first.samples, s.channels == first.channels else {
                throw MRIError(.format, "\(path): a readout of \(s.channels) channels × \(s.samples) samples among readouts of \(first.channels) × \(first.samples): readouts that change length are not supported")
            }
        }
        let used = image + reference
        let extent = { (counter: KeyPath<TwixScan, Int>) in (used.map { $0[keyPath: counter] }.max() ?? 0) + 1 }
        let (nSlice, nEcho, nPhase, nRepetition, nSet) = (extent(\.slice), extent(\.echo), extent(\.phase), extent(\.repetition), extent(\.set))
        let nPartition = try partitionCount(counters: used.map(\.partition), name: "partition counters",
                                            declared: prot.integer("sKSpace.lPartitions"), source: path)
        let partitionShift = Self.partitionShift(used, image: image, partitions: nPartition)
        let placement = try Self.linePlacement(used, image: image, protocolLines: prot.integer("sKSpace.lPhaseEncodingLines"), source: path)
        let ny = placement.ny
        let readout = ReadoutPlacement(centres: image.map(\.centreColumn), samples: first.samples)
        guard BinaryFile.checkedProduct([first.channels, ny, readout.nx], limit: 1 << 31) != nil else {
            throw MRIError(.format, "\(path): \(first.channels) channels × \(ny) lines × \(readout.nx) samples is too large for one slice")
        }
        guard let total = BinaryFile.checkedProduct([nPartition, nSlice, nEcho, nPhase, nRepetition, nSet], limit: 1 << 20) else {
            throw MRIError(.format, "\(path): \(nPartition) partitions × \(nSlice) slices × \(nEcho) echoes × \(nPhase) phases × \(nRepetition) repetitions × \(nSet) sets is too many")
        }
        var grouped = [[(scan: TwixScan, line: Int, reference: Bool)]](repeating: [], count: total)
        for s in used {
            let index = ((((s.set * nRepetition + s.repetition) * nPhase + s.phase) * nEcho + s.echo) * nSlice + s.slice) * nPartition + s.partition + partitionShift
            grouped[index].append((s, s.line + placement.shift, !Self.isImage(s)))
        }
        entries = grouped
        partitions = nPartition
        positions = nSlice * nPartition
        slices = total
        sliceShape = (first.channels, ny, readout.nx)
        readoutShift = readout.shift
        acquiredReadout = readout.acquired(samples: first.samples)
        noise = try Self.noiseScans(in: file, last: all, channels: first.channels)
        fieldOfView = Self.fieldOfView(prot, samples: readout.nx)
        properties = Self.describe(prot, layout: file.layout, measurements: file.measurements.count,
                                   counts: (image.count, reference.count, noise.count),
                                   loops: (nSlice, nEcho, nPhase, nRepetition, nSet), placement: placement, readout: readout)
        if nPartition > 1 {
            properties.append(("partitions", "\(nPartition) (3-D: k-space [partitions (kz), coils, ky, kx] per slab, partition innermost"
                + (partitionShift != 0 ? "; counters shifted by \(partitionShift) to put the recorded centre partition at \(nPartition / 2))" : ")")))
        }
    }

    public func readSlice(_ index: Int) throws -> KSpace {
        try checkSlice(index)
        let (c, ny, nx) = sliceShape
        var k = KSpace(zerosCoils: c, ny: ny, nx: nx)
        var counts = [Int](repeating: 0, count: ny)
        // A line's data are its image scans', or its reference scans' where it has none: the
        // reference scans of imaged lines are not even read.
        let imaged = Set(entries[index].lazy.filter { !$0.reference }.map(\.line))
        for e in entries[index] where !(e.reference && imaged.contains(e.line)) {
            let samples = try file.readSamples(of: e.scan)
            let reflect = e.scan.has(.reflect)
            let recorded = e.scan.samples
            for coil in 0..<c {
                let row = (coil * ny + e.line) * nx + readoutShift
                for x in 0..<recorded { k.data[row + x] += samples[coil * recorded + (reflect ? recorded - 1 - x : x)] }
            }
            counts[e.line] += 1
        }
        return try averagedSlice(consume k, lineCounts: counts, index: index)
    }

    /// A frame (echo, phase, repetition, set) without reference scans takes its calibration
    /// from the first frame of the same slice that has them.
    public func calibrationSlice(for index: Int) throws -> Int? {
        try checkSlice(index)
        let hasReference = { (i: Int) in self.entries[i].contains { $0.scan.has(.patReference) } }
        guard !hasReference(index) else { return nil }
        return stride(from: index % positions, to: slices, by: positions).first(where: hasReference)
    }

    /// The lines of slice `index` with image or reference data.
    public func acquiredLines(slice index: Int) throws -> SamplingMask? {
        try checkSlice(index)
        var lines = [Bool](repeating: false, count: sliceShape.ny)
        for e in entries[index] { lines[e.line] = true }
        return SamplingMask(acquired: lines)
    }

    /// The noise-adjust scans as `[coils, scans, samples]`, or nil if the file has none.
    public func noiseScans() throws -> KSpace? {
        guard let first = noise.first else { return nil }
        var data: [Complex<Float>] = []
        data.reserveCapacity(noise.count * first.channels * first.samples)
        let blocks = try noise.map { try file.readSamples(of: $0) }
        for c in 0..<first.channels {
            for b in blocks { data += b[c * first.samples..<(c + 1) * first.samples] }
        }
        let k = try KSpace(coils: first.channels, ny: noise.count, nx: first.samples, data: data)
        try k.validateFinite(source: "\(source) noise-adjust scans")
        return k
    }

    /// Scans that are neither image nor reference data (noise, feedback, phase correction…).
    static let auxiliary: [TwixFlag] = [.realtimeFeedback, .highPerformanceFeedback, .referencePhaseStabilisation,
                                        .phaseStabilisation, .phaseCorrection, .noiseAdjust, .navigatorData]

    static func isImage(_ s: TwixScan) -> Bool {
        !auxiliary.contains(where: s.has) && (!s.has(.patReference) || s.has(.patReferenceAndImage))
    }

    static func isReferenceOnly(_ s: TwixScan) -> Bool {
        !auxiliary.contains(where: s.has) && s.has(.patReference) && !s.has(.patReferenceAndImage)
    }
}
