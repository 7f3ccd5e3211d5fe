import ArgumentParser
import Foundation
import MRICore
import MRIIO

struct InfoCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Describe a k-space or mask file: shape, dtype, per-coil energy, and the sampling it appears to have.")

    @Argument(help: "A k-space file (.npy, .cfl/.hdr, fastMRI or ISMRMRD .h5, Siemens .dat) or a mask (.npy).")
    var file: String

    func execute() throws {
        guard URL(fileURLWithPath: file).pathExtension.lowercased() == "npy" else {
            let reader = try IsolatedInput.openReader(file)
            print("file   \(file)")
            print("format \(reader.format.rawValue), \(reader.slices) slice\(reader.slices == 1 ? "" : "s")")
            for (name, value) in reader.properties { print("\(name): \(value)") }
            describe(try reader.readSlice(0))
            if let lines = try reader.acquiredLines(slice: 0) {
                print("slice 0 acquisitions: \(lines.summary)")
            }
            if let noise = try reader.noiseScans() {
                print("noise: \(noise.ny) readouts × \(noise.nx) samples of \(noise.coils) coils (used to prewhiten)")
            }
            return
        }
        let header = try NpyFile.header(of: file)
        print("file   \(file)")
        print("dtype  \(header.elementType.descr)\(header.bigEndian ? " (big-endian)" : "")\(header.fortranOrder ? ", Fortran order" : "")")
        print("shape  \(header.shape)")
        if header.elementType.isComplex && header.shape.count == 3 {
            let (k, _) = try NpyFile.readKSpace(file)
            describe(k)
        } else if header.shape.count == 1 {
            let mask = try NpyFile.readMask(file)
            print("mask   \(mask.acquiredCount)/\(mask.ny) lines acquired; \(mask.summary)")
        }
    }

    private func describe(_ k: KSpace) {
        print("layout [coils, ky, kx] = [\(k.coils), \(k.ny), \(k.nx)]")
        let energies = k.coilEnergies()
        let total = energies.reduce(0, +)
        let peak = k.data.lazy.map { $0.length }.max() ?? 0
        print(String(format: "max |k| %.4g at DC-centred k-space; total energy %.4g", peak, total))
        print("coil energy (% of total):")
        for (c, e) in energies.enumerated() {
            print(String(format: "  coil %3d  %6.2f %%", c, total > 0 ? 100 * e / total : 0))
        }
        // Only a description: reconstructions never infer a mask from zeros.
        let lines = SamplingMask(acquired: (0..<k.ny).map { y in
            (0..<k.coils).contains { c in (0..<k.nx).contains { x in k[c, y, x] != .zero } }
        })
        print("lines with non-zero samples: \(lines.acquiredCount)/\(k.ny); \(lines.summary) (inferred from zeros; pass --mask to recon)")
    }
}
