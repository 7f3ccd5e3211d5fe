import ArgumentParser
import MRIIO
import Simulation

extension PhantomSimulator.Layout: ExpressibleByArgument {}

struct SimulateCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate fully sampled multi-coil k-space of a Shepp–Logan phantom (or a slice of the shipped Colin27 brain) with loop coils and correlated noise.")

    @Option(name: .shortAndLong, help: "Output k-space (.npy, complex64 [coils, ky, kx]).")
    var output: String

    @Option(help: "Matrix size (ky and kx; default 128).")
    var matrix: Int?

    @Option(help: "Phase-encode lines (ky), if different from --matrix.")
    var ny: Int?

    @Option(help: "Readout samples (kx), if different from --matrix.")
    var nx: Int?

    @Option(help: "Number of coils (rings of up to 8 loops; default 8).")
    var coils: Int?

    @Option(help: "Coil layout: rings (--coils loops; the default) or paper (the 32-loop array of the shipped meta models; implies --coils 32).")
    var array: PhantomSimulator.Layout?

    @Option(help: "Noise standard deviation relative to the largest coil-image magnitude.")
    var noise = ScanSimulation().noiseLevel

    @Option(help: "Noise correlation strength between neighbouring coils, in [0, 1) (default 0.25).")
    var correlation: Double?

    @Option(name: .customLong("object-scale"), help: "Phantom size relative to the field of view (default 0.85).")
    var objectScale: Double?

    @Option(help: ArgumentHelp("Instead of the phantom: slice Z (0–180) of the Colin27 brain volume shipped in the binary, through the paper's 32-loop array at 288², with smooth phase and correlated noise as meta-training's validation scans (only --noise, --seed and --clean apply).", valueName: "Z"))
    var brain: Int?

    @Option(help: "Random seed (phase and noise).")
    var seed = ScanSimulation().seed

    @Option(help: "Also write the noise-free k-space here.")
    var clean: String?

    func execute() throws {
        try KSpaceFiles.validateOutput(output, input: "", extensions: ["npy"])
        if let clean { try KSpaceFiles.validateOutput(clean, input: output, extensions: ["npy"]) }
        var simulation = ScanSimulation()
        (simulation.matrix, simulation.ny, simulation.nx, simulation.coils, simulation.array) = (matrix, ny, nx, coils, array)
        (simulation.noiseLevel, simulation.noiseCorrelation, simulation.objectScale) = (noise, correlation, objectScale)
        (simulation.brainSlice, simulation.seed) = (brain, seed)
        let result = try simulation.run()
        try NpyFile.write(result.noisy, to: output)
        if let clean { try NpyFile.write(result.clean, to: clean) }
    }
}
