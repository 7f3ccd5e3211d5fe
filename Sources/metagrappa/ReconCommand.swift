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
            INPUT is k-space [coils, ky, kx] complex64: .npy (also [slices, coils, ky, kx]), BART \
            .cfl/.hdr (slices on dimension 13), fastMRI .h5 ([slices, coils, readout, phase]) or \
            ISMRMRD .h5. Every slice is reconstructed (or only --slice i), one after another, \
            reading and writing one slice at a time. With --accel/--acs the input is fully sampled \
            and is undersampled here; with --mask it is the acquired data; with neither, an ISMRMRD \
            input's own acquired lines are used. OUTPUT's format follows its extension (.npy, \
            .cfl, .h5 = fastMRI layout) and holds the input's shape.
            """)

    @Argument(help: "Input k-space (.npy, .cfl/.hdr, fastMRI or ISMRMRD .h5).")
    var input: String

    @Option(name: .shortAndLong, help: "Output k-space (.npy, .cfl or .h5).")
    var output: String

    @Option(help: "Reconstruction method.")
    var method: Method = .grappa

    @Option(help: "Reconstruct only this slice (0-based) of a multi-slice input.")
    var slice: Int?

    @Option(help: "Apply this GRAPPA kernel (from metagrappa calibrate) instead of calibrating on each slice.")
    var kernel: String?

    @OptionGroup var acquisition: AcquisitionOptions

    @OptionGroup var coilCompression: CoilCompressionOptions
    @OptionGroup(title: "GRAPPA") var grappaOptions: GrappaOptions
    @OptionGroup(title: "RAKI") var rakiOptions: RakiOptions
    @OptionGroup(title: "Meta-GRAPPA") var metaOptions: MetaOptions

    @Option(help: "GRAPPA: also write the g-factor map (float32 .npy, [ny, nx] or [slices, ny, nx]; image-domain kernel, Breuer 2009).")
    var gfactor: String?

    @Option(help: "Also write the RSS magnitude image of the result as an 8-bit PNG (one slice only).")
    var png: String?

    @Flag(help: "Print the time spent in each stage to stderr.")
    var timing = false

    func execute() throws {
        try validateOutput(output, input: input, extensions: KSpaceFiles.outputExtensions)
        if let png { try validateOutput(png, input: input, extensions: ["png"]) }
        if let gfactor {
            try validateOutput(gfactor, input: input, extensions: ["npy"])
            guard method == .grappa, coilCompression.virtualCoils == nil else {
                throw MRIError(.invalidArgument, "--gfactor maps a GRAPPA kernel of the physical coils: use it with --method grappa and without --virtual-coils")
            }
        }
        let total = Stopwatch()
        if kernel != nil && coilCompression.virtualCoils != nil {
            throw MRIError(.invalidArgument, "--kernel applies a kernel of physical coils: it cannot be combined with --virtual-coils")
        }
        if kernel != nil && method != .grappa {
            throw MRIError(.invalidArgument, "--kernel applies a GRAPPA kernel: it cannot be used with --method \(method.rawValue)")
        }
        let fixedKernel = try kernel.map { try GrappaKernel.read($0) }
        let meta = method == .meta ? try metaOptions.load() : nil
        let tRead = Stopwatch()
        let reader = try IsolatedInput.openReader(input)
        let selected = try slice.map { [try KSpaceFiles.chosenSlice($0, of: reader, source: input)] } ?? Array(0..<reader.slices)
        try MemoryBudget.check(reader.sliceShape, method: method, source: input)
        if png != nil && selected.count > 1 {
            throw MRIError(.invalidArgument, "--png writes one slice: \(input) has \(reader.slices); choose one with --slice i")
        }
        // Resolved before any slice is read: a bad --mask, or an input without a pattern of
        // its own, fails here; only a file's own per-slice patterns are looked up per slice.
        let firstMask = try acquisition.resolve(reader, slice: selected[0], source: input)
        let writer = try KSpaceFiles.createWriter(output, slices: selected.count, sliceShape: reader.sliceShape, like: reader)
        let open = tRead.seconds
        var (calibrate, apply) = (0.0, 0.0)
        var gMaps: [Float] = []
        let settings = MethodSettings(grappa: grappaOptions.grappa, raki: rakiOptions.raki, meta: meta,
                                      allowOtherArray: metaOptions.allowOtherArray, source: input,
                                      virtualCoils: coilCompression.virtualCoils)
        var pipeline = SlicePipeline(reader: reader, writer: writer, indices: selected)
        try pipeline.run { (index: Int, k: consuming KSpace) in
            let mask = acquisition.fromFile ? try acquisition.resolve(reader, slice: index, source: input) : firstMask
            let (out, c, a): (KSpace, Double, Double)
            if fixedKernel != nil || gfactor != nil {
                let tCalibrate = Stopwatch()
                let used = try fixedKernel ?? grappaOptions.grappa.calibrate(k, mask: mask)
                if fixedKernel != nil { try used.checkApplicable(to: k, mask: mask, source: kernel!) }
                let calibration = fixedKernel == nil ? tCalibrate.seconds : 0
                let tApply = Stopwatch()
                (out, c, a) = (try used.apply(to: consume k, mask: mask), calibration, tApply.seconds)
                if gfactor != nil { gMaps += try GFactor.map(kernel: used, reconstructed: out) }
            } else {
                (out, c, a) = try method.reconstruct(consume k, mask: mask, settings: settings)
            }
            calibrate += c
            apply += a
            if let png { try PNGWriter.write(Bitmap(CenteredFFT.rssImage(of: out)), to: png) }
            return out
        }
        let io = pipeline.waiting
        let tCommit = Stopwatch()
        if let gfactor {
            let (ny, nx) = (reader.sliceShape.ny, reader.sliceShape.nx)
            try NpyFile.write(gMaps, shape: selected.count > 1 ? [selected.count, ny, nx] : [ny, nx], to: gfactor)
        }
        try writer.commit()
        if timing {
            printError(String(format: "open %.1f ms, calibrate %.1f ms, apply %.1f ms, waiting for reads/writes %.1f ms, commit %.1f ms, total %.1f ms",
                              open * 1e3, calibrate * 1e3, apply * 1e3, io * 1e3, tCommit.seconds * 1e3, total.seconds * 1e3))
        }
    }
}
