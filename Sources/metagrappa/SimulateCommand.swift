import ArgumentParser
import Foundation
import MRICore
import MRIIO

extension PhantomSimulator.Layout: ExpressibleByArgument {}

struct SimulateCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate fully sampled multi-coil k-space of a Shepp–Logan phantom with loop coils and correlated noise.")

    @Option(name: .shortAndLong, help: "Output k-space (.npy, complex64 [coils, ky, kx]).")
    var output: String

    @Option(help: "Matrix size (ky and kx).")
    var matrix = 128

    @Option(help: "Phase-encode lines (ky), if different from --matrix.")
    var ny: Int?

    @Option(help: "Readout samples (kx), if different from --matrix.")
    var nx: Int?

    @Option(help: "Number of coils (rings of up to 8 loops; default 8).")
    var coils: Int?

    @Option(help: "Coil layout: rings (--coils loops) or paper (the 32-loop array of the shipped meta models; implies --coils 32).")
    var array: PhantomSimulator.Layout = .rings

    @Option(help: "Noise standard deviation relative to the largest coil-image magnitude.")
    var noise = 0.004

    @Option(help: "Noise correlation strength between neighbouring coils, in [0, 1).")
    var correlation = 0.25

    @Option(name: .customLong("object-scale"), help: "Phantom size relative to the field of view.")
    var objectScale = 0.85

    @Option(help: "Random seed (phase and noise).")
    var seed: UInt64 = 20190501

    @Option(help: "Also write the noise-free k-space here.")
    var clean: String?

    func execute() throws {
        try KSpaceFiles.validateOutput(output, input: "", extensions: ["npy"])
        if let clean { try KSpaceFiles.validateOutput(clean, input: output, extensions: ["npy"]) }
        if array == .paper, let coils, coils != PaperCoilArray.coils {
            throw MRIError(.invalidArgument, "--array paper is the \(PaperCoilArray.coils)-loop array: --coils \(coils) contradicts it (leave --coils out)")
        }
        var sim = PhantomSimulator(ny: ny ?? matrix, nx: nx ?? matrix, coils: array == .paper ? PaperCoilArray.coils : coils ?? 8,
                                   noiseLevel: noise, noiseCorrelation: correlation, seed: seed)
        sim.array = array
        sim.objectScale = objectScale
        let result = try sim.simulate()
        try NpyFile.write(result.noisy, to: output)
        if let clean { try NpyFile.write(result.clean, to: clean) }
    }
}
