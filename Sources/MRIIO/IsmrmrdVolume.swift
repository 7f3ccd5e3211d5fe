import CHDF5
import Foundation
import MRICore
import Numerics

/// An ISMRMRD HDF5 file (`/dataset/data` acquisitions, `/dataset/xml` header), assembled
/// into `[coils, ky, kx]` per slice from each acquisition's `kspace_encode_step_1` and
/// `slice`. Noise acquisitions give ``noiseScans()``. Contrasts (echoes) and repetitions are further slices: slice index
/// `(contrast · repetitions + repetition) · slices + slice` (ISMRMRD's accelerated phantom acquires each repetition
/// on a shifted lattice); a frame without calibration acquisitions calibrates on one of its slice that has them. Noise, navigator, phase-correction, feedback, dummy-scan and other
/// non-imaging acquisitions are skipped by their flags; reversed readouts are flipped;
/// repeated averages of a line are averaged. 3-D encoding: `kspace_encode_step_2` is the
/// partition, innermost in the volume's slice index (as for Siemens files), the partitions
/// per slab the encoded space's `matrixSize.z` where the counters fit in it. Not supported,
/// refused with a message: non-Cartesian trajectories, several encodings, phases or sets,
/// readouts that change length.
public final class IsmrmrdVolumeReader: KSpaceVolumeReader {
    public let source: String
    public let format = KSpaceFormat.ismrmrd
    public let slices: Int
    public let sliceShape: (coils: Int, ny: Int, nx: Int)
    public let partitions: Int
    private let file: HDF5.Handle
    private let dataset: HDF5.Handle
    /// Imaging acquisitions: index in the dataset, slice (with repetitions), line, reversed.
    private let acquisitions: [(index: Int, slice: Int, line: Int, reversed: Bool)]
    /// Noise acquisitions of the imaging channel count: index in the dataset, samples.
    private let noise: [(index: Int, samples: Int)]
    /// From the noise acquisitions' variance to the imaging samples' (``KSpaceVolumeReader/noiseVarianceScale``):
    /// noise power per sample grows with the sampling bandwidth, 1 / dwell time, so the noise
    /// acquisitions' variance is scaled by their dwell time over the imaging readouts'; divided by
    /// the receiver's relative noise bandwidth (`relativeReceiverNoiseBandwidth`, 1 if absent: the
    /// noise acquisitions' filter passes less noise than their sampling bandwidth, the convention
    /// of ISMRMRD's and Gadgetron's prewhitening); and by the readouts averaged into each line.
    public let noiseVarianceScale: Double?
    /// The header's encoding section (fields of view and matrices, for ``geometry()``).
    private let encoding: String
    /// Samples per recorded readout, and where the first goes in a slice's readout (non-zero
    /// for an asymmetric echo, ``ReadoutPlacement``).
    private let recordedSamples: Int, readoutShift: Int
    public let acquiredReadout: Range<Int>?
    /// Slices with calibration-flagged acquisitions, and the number of slice positions.
    private let calibrated: Set<Int>, positions: Int

    /// A frame (contrast or repetition) without calibration acquisitions takes its
    /// calibration from the first frame of the same slice that has them.
    public func calibrationSlice(for index: Int) throws -> Int? {
        try checkSlice(index)
        guard !calibrated.isEmpty, !calibrated.contains(index) else { return nil }
        return stride(from: index % positions, to: slices, by: positions).first(where: calibrated.contains)
    }

    /// ISMRMRD flag bits (1-based, as in the ISMRMRD headers) of acquisitions that are not imaging data.
    static let skippedFlags: [(bit: Int, name: String)] = [
        (23, "navigation"), (24, "phase correction"), (26, "HP feedback"),
        (27, "dummy scan"), (28, "RT feedback"), (29, "surface coil correction"),
        (30, "phase stabilisation reference"), (31, "phase stabilisation"),
    ]
    static let reverseFlag = 22
    /// Parallel-imaging calibration acquisitions (ACQ_IS_PARALLEL_CALIBRATION, …_AND_IMAGING).
    static let calibrationFlags = [20, 21]
    /// Noise-only acquisitions (ACQ_IS_NOISE_MEASUREMENT), kept for prewhitening.
    static let noiseFlag = 19

    /// Opens `path`, reads the XML header and every acquisition header, and works out the shape.
    public init(_ path: String) throws {
        source = path
        file = try HDF5.openFile(path)
        dataset = try HDF5.dataset(file, "/dataset/data", source: path, expected: "ISMRMRD acquisitions")
        let xml = try Self.readXML(file, source: path)
        if let trajectory = Self.element("trajectory", in: xml), trajectory != "cartesian" {
            throw MRIError(.format, "\(path): trajectory '\(trajectory)' is not supported (Cartesian only)")
        }
        if xml.components(separatedBy: "<encoding>").count > 2 {
            throw MRIError(.format, "\(path): several encodings in one file are not supported")
        }
        let headers = try IsmrmrdHeaders.read(dataset, source: path)
        var imaging: [(Int, Int, Int, Int, Int, Bool, Bool, Int)] = []
        var centres: [Int] = []
        var noiseFound: [(index: Int, samples: Int, channels: Int)] = []
        var (samples, channels, maxLine, maxSlice, maxContrast, maxRepetition) = (-1, -1, -1, -1, -1, -1)
        for (i, h) in headers.enumerated() {
            if h.flags & (1 << UInt64(Self.noiseFlag - 1)) != 0 {
                noiseFound.append((i, h.samples, h.channels))
                continue
            }
            if Self.skippedFlags.contains(where: { h.flags & (1 << UInt64($0.bit - 1)) != 0 }) { continue }
            for (value, name) in [(h.phase, "phase"), (h.set, "set")] where value != 0 {
                throw MRIError(.format, "\(path): acquisition \(i) has \(name) \(value): several \(name)s are not supported")
            }
            if samples < 0 { (samples, channels) = (h.samples, h.channels) }
            guard h.samples == samples, h.channels == channels, samples > 0, channels > 0 else {
                throw MRIError(.format, "\(path): acquisition \(i) has \(h.samples) samples × \(h.channels) channels, earlier ones \(samples) × \(channels)")
            }
            imaging.append((i, h.slice, h.contrast, h.repetition, h.encodeStep1, h.flags & (1 << UInt64(Self.reverseFlag - 1)) != 0,
                            Self.calibrationFlags.contains { h.flags & (1 << UInt64($0 - 1)) != 0 }, h.encodeStep2))
            centres.append(h.centreSample)
            maxLine = max(maxLine, h.encodeStep1)
            maxSlice = max(maxSlice, h.slice)
            maxContrast = max(maxContrast, h.contrast)
            maxRepetition = max(maxRepetition, h.repetition)
        }
        guard !imaging.isEmpty else { throw MRIError(.format, "\(path): no imaging acquisitions (all \(headers.count) are flagged as non-imaging)") }
        let readout = ReadoutPlacement(centres: centres, samples: samples)
        let matrixY = Self.element("y", in: Self.section("encodedSpace", in: xml) ?? "").flatMap { Int($0) } ?? 0
        try requirePlausibleCounters(imaging.map(\.4), of: "lines", name: "kspace_encode_step_1 values", source: path)
        let ny = max(matrixY, maxLine + 1)
        let nPartition = try partitionCount(counters: imaging.map(\.7), name: "kspace_encode_step_2 values",
                                            declared: Self.element("z", in: Self.section("encodedSpace", in: xml) ?? "").flatMap { Int($0) },
                                            source: path)
        guard ny <= 1 << 16, let _ = BinaryFile.checkedProduct([channels, ny, readout.nx], limit: 1 << 31) else {
            throw MRIError(.format, "\(path): \(channels) channels × \(ny) lines × \(readout.nx) samples is too large")
        }
        (recordedSamples, readoutShift, acquiredReadout) = (samples, readout.shift, readout.acquired(samples: samples))
        // Frames (contrast, then repetition) outside slices, partitions inside: volume slice
        // ((contrast · repetitions + repetition) · slices + slice) · partitions + partition.
        let assembled = imaging.map { a in
            (index: a.0, slice: ((a.2 * (maxRepetition + 1) + a.3) * (maxSlice + 1) + a.1) * nPartition + a.7, line: a.4, reversed: a.5,
             calibration: a.6)
        }
        acquisitions = assembled.map { ($0.index, $0.slice, $0.line, $0.reversed) }
        calibrated = Set(assembled.filter(\.calibration).map(\.slice))
        positions = (maxSlice + 1) * nPartition
        partitions = nPartition
        slices = positions * (maxContrast + 1) * (maxRepetition + 1)
        guard slices <= 1 << 20 else { throw MRIError(.format, "\(path): \(slices) slices (with partitions and frames) are too many") }
        sliceShape = (channels, ny, readout.nx)
        let usable = noiseFound.filter { $0.channels == channels && $0.samples > 0 && $0.samples <= 1 << 16 }
        noise = usable.filter { $0.samples == usable.first?.samples }.map { ($0.index, $0.samples) }
        noiseVarianceScale = Self.noiseVarianceScale(dataset, xml: xml, noise: noise.map(\.index), imaging: acquisitions)
        encoding = Self.section("encoding", in: xml) ?? ""
    }

    /// Each slice's placement from its first acquisition's header, the field of view from the
    /// reconstructed space (`reconSpace`), the readout oversampling from the encoded space's
    /// field of view over it; nil where the header lacks them.
    public func geometry() throws -> ScanGeometry? {
        let vector = { (space: String, name: String) -> SIMD3<Double>? in
            guard let section = Self.section(space, in: self.encoding).flatMap({ Self.section(name, in: $0) }),
                  let x = Self.element("x", in: section).flatMap(Double.init), let y = Self.element("y", in: section).flatMap(Double.init),
                  let z = Self.element("z", in: section).flatMap(Double.init) else { return nil }
            return SIMD3(x, y, z)
        }
        guard let fov = vector("reconSpace", "fieldOfView_mm"), let encoded = vector("encodedSpace", "fieldOfView_mm"),
              fov.x > 0, fov.y > 0, fov.z > 0, partitions == 1 || encoded.z > 0, let values = IsmrmrdHeaders.placements(dataset) else { return nil }
        let ratio = Int((encoded.x / fov.x).rounded())
        let oversampling = ratio >= 1 && sliceShape.nx % ratio == 0 ? ratio : 1
        // A 3-D slab's acquisitions are placed at its centre and its encoded thickness is shared
        // by its partitions: slice p of a slab is its z plane p (after the inverse transform
        // along kz), p − P/2 planes from the centre along the slice direction.
        let thickness = partitions > 1 ? encoded.z / Double(partitions) : fov.z
        var slices: [ScanGeometry.Slice] = []
        for index in 0..<self.slices {
            let slab = (index / partitions * partitions)..<((index / partitions + 1) * partitions)
            guard let a = acquisitions.first(where: { slab.contains($0.slice) }) else { return nil }
            let v = { (i: Int) in SIMD3<Double>(Double(values[12 * a.index + 3 * i]), Double(values[12 * a.index + 3 * i + 1]),
                                                Double(values[12 * a.index + 3 * i + 2])) }
            let offset = Double(index % partitions - partitions / 2) * (partitions > 1 ? thickness : 0)
            slices.append(ScanGeometry.Slice(centre: v(0) + offset * v(3), read: v(1), phase: v(2), normal: v(3)))
        }
        return ScanGeometry(readoutFOV: fov.x, phaseFOV: fov.y, sliceThickness: thickness, readoutOversampling: oversampling, slices: slices)
    }

    /// nil unless every noise acquisition has one dwell time and every imaging acquisition
    /// another, both positive, and every acquired line is the mean of as many readouts.
    private static func noiseVarianceScale(_ dataset: HDF5.Handle, xml: String, noise: [Int],
                                           imaging: [(index: Int, slice: Int, line: Int, reversed: Bool)]) -> Double? {
        guard let first = noise.first, let times = IsmrmrdHeaders.sampleTimes(dataset) else { return nil }
        let noiseDwell = Double(times[first]), imagingDwell = Double(times[imaging[0].index])
        guard noiseDwell > 0, imagingDwell > 0, noiseDwell.isFinite, imagingDwell.isFinite,
              noise.allSatisfy({ Double(times[$0]) == noiseDwell }),
              imaging.allSatisfy({ Double(times[$0.index]) == imagingDwell }) else { return nil }
        let system = section("acquisitionSystemInformation", in: xml) ?? ""
        let bandwidth = element("relativeReceiverNoiseBandwidth", in: system).map { Double($0) ?? .nan } ?? 1
        guard bandwidth > 0, bandwidth <= 1 else { return nil }
        var readouts: [Int: Int] = [:]
        for a in imaging { readouts[a.slice << 20 | a.line, default: 0] += 1 }
        guard let averages = readouts.values.first, readouts.values.allSatisfy({ $0 == averages }) else { return nil }
        return noiseDwell / imagingDwell / bandwidth / Double(averages)
    }

    public func readSlice(_ index: Int) throws -> KSpace {
        try checkSlice(index)
        let (c, ny, nx) = sliceShape
        var k = KSpace(zerosCoils: c, ny: ny, nx: nx)
        var counts = [Int](repeating: 0, count: ny)
        let recorded = recordedSamples
        for a in acquisitions where a.slice == index {
            let samples = try IsmrmrdHeaders.readData(dataset, index: a.index, expected: 2 * c * recorded, source: source)
            for coil in 0..<c {
                for x in 0..<recorded {
                    let s = 2 * (coil * recorded + (a.reversed ? recorded - 1 - x : x))
                    k.data[(coil * ny + a.line) * nx + readoutShift + x] += Complex(samples[s], samples[s + 1])
                }
            }
            counts[a.line] += 1
        }
        return try averagedSlice(consume k, lineCounts: counts, index: index)
    }

    /// The lines of slice `index` that hold data (the acquisition's sampling pattern).
    public func acquiredLines(slice index: Int) throws -> SamplingMask? {
        try checkSlice(index)
        var lines = [Bool](repeating: false, count: sliceShape.ny)
        for a in acquisitions where a.slice == index { lines[a.line] = true }
        return SamplingMask(acquired: lines)
    }

    /// The noise acquisitions as `[coils, acquisitions, samples]`, or nil if there are none.
    public func noiseScans() throws -> KSpace? {
        guard let n = noise.first?.samples else { return nil }
        let c = sliceShape.coils
        var k = KSpace(zerosCoils: c, ny: noise.count, nx: n)
        for (row, a) in noise.enumerated() {
            let samples = try IsmrmrdHeaders.readData(dataset, index: a.index, expected: 2 * c * n, source: source)
            for coil in 0..<c { for x in 0..<n { k.data[(coil * noise.count + row) * n + x] = Complex(samples[2 * (coil * n + x)], samples[2 * (coil * n + x) + 1]) } }
        }
        try k.validateFinite(source: "\(source) noise acquisitions")
        return k
    }

    private static func readXML(_ file: HDF5.Handle, source: String) throws -> String {
        let d = try HDF5.dataset(file, "/dataset/xml", source: source, expected: "the ISMRMRD XML header")
        let text: String? = HDF5.locked {
            guard let type = HDF5.Handle(mg_H5Tcopy(mg_h5t_c_s1()), close: mg_H5Tclose),
                  let stored = HDF5.Handle(mg_H5Dget_type(d.id), close: mg_H5Tclose) else { return nil }
            mg_H5Tset_size(type.id, mg_h5t_variable())
            // HDF5 converts no string between character sets: read in the file's (ASCII, as
            // ISMRMRD's C library writes it, or UTF-8, as h5py does).
            mg_H5Tset_cset(type.id, mg_H5Tget_cset(stored.id))
            guard HDF5.dimensions(d).reduce(1, *) == 1 else { return nil }
            // The string's length comes from the file: check it before HDF5 allocates it.
            var needed: hsize_t = 0
            guard let space = HDF5.Handle(mg_H5Dget_space(d.id), close: mg_H5Sclose),
                  mg_H5Dvlen_get_buf_size(d.id, type.id, space.id, &needed) >= 0, needed <= 1 << 24 else { return nil }
            var pointer: UnsafeMutablePointer<CChar>? = nil
            guard mg_H5Dread(d.id, type.id, mg_h5s_all(), mg_h5s_all(), mg_h5p_default(), &pointer) >= 0, let p = pointer else { return nil }
            defer { mg_H5free_memory(p) }
            return String(cString: p)
        }
        guard let text else {
            throw MRIError(.format, "\(source): '/dataset/xml' is not one variable-length string of at most 16 MiB")
        }
        return text
    }

    /// The text of the first `<name>…</name>` in `xml`.
    static func element(_ name: String, in xml: String) -> String? {
        section(name, in: xml)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What lies between the first `<name>` and the next `</name>`.
    static func section(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"),
              let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }
}
