import Foundation
import GRAPPA
import MRICore

/// GRAPPA across ky and kz of a 3-D acquisition (``GRAPPA/VolumeGrappa``): `k` is C-order
/// `[partitions, coils, ny, nx]` interleaved complex64, `mask` `partitions × ny` bytes; JSON
/// `options` may hold `lambda` (λ_rel), `readout_window`, `reach`; `info` receives the lattice, the calibration box and
/// the seconds.
@_cdecl("mg_grappa_volume")
public func mg_grappa_volume(_ k: UnsafePointer<Float>?, _ partitions: Int32, _ coils: Int32, _ ny: Int32, _ nx: Int32,
                             _ mask: UnsafePointer<UInt8>?, _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Float>?,
                             _ info: UnsafeMutablePointer<CChar>?, _ infoCapacity: Int64,
                             _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int64) -> Int32 {
    CBoundary.run(error, capacity) {
        let o = try CBoundary.object(options)
        var grappa = VolumeGrappa()
        try SettingsFromJSON.refuseUnknown(o, known: ["lambda", "readout_window", "reach"], context: " for 3-D GRAPPA")
        if let x = try SettingsFromJSON.number(o, "lambda") { grappa.lambda = x }
        if let n = try SettingsFromJSON.integer(o, "reach") { grappa.reach = n }
        if let n = try SettingsFromJSON.integer(o, "readout_window") { grappa.readoutWindow = n }
        guard partitions >= 1 else { throw MRIError(.invalidArgument, "partitions must be at least 1, found \(partitions)") }
        guard let k, let mask else { throw MRIError(.invalidArgument, "k-space or mask pointer is null") }
        let perPartition = Int(coils) * Int(ny) * Int(nx)
        let acquisition = try VolumeAcquisition(acquired: (0..<Int(partitions * ny)).map { mask[$0] != 0 },
                                                partitions: Int(partitions), lines: Int(ny))
        guard let out else { throw MRIError(.invalidArgument, "output pointer is null") }
        let partition = { (z: Int) in try CBoundary.kspace(k + 2 * z * perPartition, coils: coils, ny: ny, nx: nx) }
        let started = Date()
        // Partition by partition in and out: the volume is held once more, in hybrid space.
        try grappa.reconstruct(acquisition, coils: Int(coils), nx: Int(nx), read: partition) { z, filled in
            var exact = filled
            acquisition.restoreAcquired(partition: z, of: try partition(z), into: &exact)
            try CBoundary.store(exact, to: out + 2 * z * perPartition)
        }
        let lattice = acquisition.lattice
        let report: [String: Any] = [
            "acceleration": [lattice.lineAcceleration, lattice.partitionAcceleration], "shift": lattice.shift,
            "calibration_partitions": [acquisition.calibrationPartitions.lowerBound, acquisition.calibrationPartitions.upperBound],
            "calibration_lines": [acquisition.calibrationLines.lowerBound, acquisition.calibrationLines.upperBound],
            "lambda": grappa.lambda, "reach": grappa.reach(for: acquisition, coils: Int(coils)), "seconds": Date().timeIntervalSince(started),
        ]
        CBoundary.write(CBoundary.json(report), to: info, capacity: infoCapacity)
    }
}
