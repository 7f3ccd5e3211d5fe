import ArgumentParser
import Foundation
import GRAPPA
import MetaLearner
import MRICore
import MRIIO

struct ReconCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "recon",
        abstract: "Reconstruct undersampled k-space; the output keeps every measured sample as measured.",
        discussion: """
            INPUT is k-space [coils, ky, kx] complex64 (.npy). With --accel/--acs it is fully \
            sampled and is undersampled here; with --mask it is the acquired data. OUTPUT has \
            the shape and dtype of INPUT.
            """)

    @Argument(help: "Input k-space (.npy, complex64 [coils, ky, kx]).")
    var input: String

    @Option(name: .shortAndLong, help: "Output k-space (.npy).")
    var output: String

    @Option(help: "Reconstruction method.")
    var method: Method = .grappa

    @OptionGroup var acquisition: AcquisitionOptions
    @OptionGroup(title: "GRAPPA") var grappaOptions: GrappaOptions
    @OptionGroup(title: "RAKI") var rakiOptions: RakiOptions
    @OptionGroup(title: "Meta-GRAPPA") var metaOptions: MetaOptions

    @Option(help: "Also write the RSS magnitude image of the result as an 8-bit PNG.")
    var png: String?

    @Flag(help: "Print the time spent in each stage to stderr.")
    var timing = false

    func execute() throws {
        try validateOutput(output, input: input)
        if let png { try validateOutput(png, input: input, extensions: ["png"]) }
        let total = Stopwatch()
        let meta = method == .meta ? try metaOptions.load() : nil
        let tRead = Stopwatch()
        let (k, storedAs) = try NpyFile.readKSpace(input)
        let read = tRead.seconds
        let mask = try acquisition.resolve(ny: k.ny)
        let (out, calibrate, apply) = try method.reconstruct(consume k, mask: mask, settings: MethodSettings(grappa: grappaOptions.grappa, raki: rakiOptions.raki, meta: meta,
                                          allowOtherArray: metaOptions.allowOtherArray, source: input))
        let tWrite = Stopwatch()
        try NpyFile.write(out, to: output, as: storedAs)
        if let png {
            try PNGWriter.write(Bitmap(CenteredFFT.rssImage(of: out)), to: png)
        }
        if timing {
            printError(String(format: "read %.1f ms, calibrate %.1f ms, apply %.1f ms, write %.1f ms, total %.1f ms",
                              read * 1e3, calibrate * 1e3, apply * 1e3, tWrite.seconds * 1e3, total.seconds * 1e3))
        }
    }
}
