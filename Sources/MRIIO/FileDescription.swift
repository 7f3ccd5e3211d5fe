import Foundation
import MRICore

/// What `metagrappa info` prints about a k-space or mask file: shape, element type, per-coil
/// energy, the sampling it records or appears to have, its noise data.
public enum FileDescription {
    /// The description's lines. `openReader` opens a k-space file other than `.npy` (the
    /// command line reads HDF5 in a child process first, ``IsolatedReader``).
    public static func lines(of file: String, openReader: (String) throws -> any KSpaceVolumeReader) throws -> [String] {
        var out = ["file   \(file)"]
        guard URL(fileURLWithPath: file).pathExtension.lowercased() == "npy" else {
            let reader = try openReader(file)
            out.append("format \(reader.format.rawValue), \(reader.slices) slice\(reader.slices == 1 ? "" : "s")")
            out += reader.properties.map { "\($0.0): \($0.1)" }
            let recorded = try sampling(of: reader)
            out += describe(try reader.readSlice(0), recordsSampling: !recorded.isEmpty)
            out += recorded
            if let noise = try reader.noiseScans() {
                out.append("noise: \(noise.ny) readouts × \(noise.nx) samples of \(noise.coils) coils (used to prewhiten)")
            }
            return out
        }
        let header = try NpyFile.header(of: file)
        out.append("dtype  \(header.elementType.descr)\(header.bigEndian ? " (big-endian)" : "")\(header.fortranOrder ? ", Fortran order" : "")")
        out.append("shape  \(header.shape)")
        if header.elementType.isComplex && header.shape.count == 3 {
            out += describe(try NpyFile.readKSpace(file).0)
        } else if header.shape.count == 1 {
            let mask = try NpyFile.readMask(file)
            out.append("mask   \(mask.acquiredCount)/\(mask.ny) lines acquired; \(mask.summary)")
        }
        return out
    }

    /// The sampling of slice 0, or of the first slab of a 3-D file whose partitions are sampled
    /// differently (acceleration along kz).
    static func sampling(of reader: any KSpaceVolumeReader) throws -> [String] {
        guard let first = try reader.planeLines(slice: 0) else { return [] }
        let slab = try reader.sampling(ofSlab: 0)
        let partial = slab.partialAlongKz ? "partial Fourier along kz: partitions \(slab.measuredDescription) measured" : ""
        guard reader.partitions > 1, !slab.alike else {
            return ["slice 0 acquisitions: \(first.summary)\(partial.isEmpty ? "" : "; " + partial)"]
        }
        do {
            let v = try VolumeAcquisition(partitionLines: slab.lines)
            return ["slab 0 acquisitions (ky and kz): lattice \(v.lattice), calibration box of \(v.calibrationPartitions.count) partitions [\(v.calibrationPartitions.lowerBound), \(v.calibrationPartitions.upperBound)) × \(v.calibrationLines.count) lines [\(v.calibrationLines.lowerBound), \(v.calibrationLines.upperBound)); \(slab.lines.joined().filter { $0 }.count) of \(slab.lines.count * first.ny) lines acquired"]
        } catch let error as MRIError {
            return ["slab 0 acquisitions (ky and kz): not reconstructable: \(error.message)\(partial.isEmpty ? "" : " (\(partial)?)")"]
        }
    }

    private static func describe(_ k: KSpace, recordsSampling: Bool = false) -> [String] {
        let energies = k.coilEnergies()
        let total = energies.reduce(0, +)
        let peak = k.data.lazy.map { $0.length }.max() ?? 0
        var out = ["layout [coils, ky, kx] = [\(k.coils), \(k.ny), \(k.nx)]",
                   String(format: "max |k| %.4g at DC-centred k-space; total energy %.4g", peak, total),
                   "coil energy (% of total):"]
        out += energies.enumerated().map { c, e in String(format: "  coil %3d  %6.2f %%", c, total > 0 ? 100 * e / total : 0) }
        // Only a description: reconstructions never infer a mask from zeros.
        let lines = SamplingMask(acquired: (0..<k.ny).map { y in
            (0..<k.coils).contains { c in (0..<k.nx).contains { x in k[c, y, x] != .zero } }
        })
        out.append("lines with non-zero samples: \(lines.acquiredCount)/\(k.ny)"
                   + (recordsSampling ? "" : "; \(lines.summary) (inferred from zeros; pass --mask to recon)"))
        return out
    }
}
