import ArgumentParser
import CoilSensitivity
import GRAPPA
import Reconstruction

struct ReconCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "recon",
        abstract: "Reconstruct undersampled k-space; the output keeps every measured sample as measured.",
        discussion: """
            INPUT is k-space [coils, ky, kx] complex64: .npy (also [slices, coils, ky, kx]), BART \
            .cfl/.hdr (slices on dimension 13), fastMRI .h5 ([slices, coils, readout, phase]), \
            ISMRMRD .h5 or Siemens raw data .dat. Every slice is reconstructed (or only --slice i), one after another, \
            reading and writing one slice at a time. With --accel/--acs the input is fully sampled \
            and is undersampled here; with --mask it is the acquired data; with neither, an ISMRMRD \
            or Siemens input's own acquired lines (image and reference lines) are used. OUTPUT's format follows its extension (.npy, \
            .cfl, .h5 = fastMRI layout) and holds the input's shape; .nii or .nii.gz write the coil-combined \
            magnitude image (--combine) with the input's geometry instead.
            """)

    @Argument(help: "Input k-space (.npy, .cfl/.hdr, fastMRI or ISMRMRD .h5, Siemens .dat).")
    var input: String

    @Option(name: .shortAndLong, help: "Output k-space (.npy, .cfl or .h5), or image (.nii, .nii.gz).")
    var output: String

    @Option(help: "Reconstruction method.")
    var method: ReconstructionMethod = .grappa

    @Option(help: "Reconstruct only this slice (0-based) of a multi-slice input.")
    var slice: Int?

    @Option(help: "Apply this GRAPPA kernel file (from metagrappa calibrate) instead of calibrating on each slice.")
    var kernel: String?

    @OptionGroup var acquisition: AcquisitionOptions

    @OptionGroup var common: MethodIndependentOptions
    @OptionGroup var prewhitening: PrewhiteningOptions
    @OptionGroup(title: "GRAPPA") var grappaOptions: GrappaOptions
    @OptionGroup(title: "RAKI") var rakiOptions: RakiOptions
    @OptionGroup(title: "Meta-GRAPPA") var metaOptions: MetaOptions
    @OptionGroup(title: "CS") var sparseOptions: SparseOptions

    @Option(help: "GRAPPA: also write the g-factor map (float32 .npy, [ny, nx] or [slices, ny, nx]; image-domain kernel, Breuer 2009).")
    var gfactor: String?

    @Option(help: "Also write the combined magnitude image of the result as an 8-bit PNG (several slices: a montage).")
    var png: String?

    @Option(help: "Coil combination of an image OUTPUT (.nii, .nii.gz) and of --png: rss, adaptive (Walsh), sense (SENSE-1, ESPIRiT maps).")
    var combine: CoilCombination = .rss

    @Flag(help: "Write the complex combined image (--combine adaptive or sense) to a NIfTI OUTPUT, its phase kept.")
    var complex = false

    @Flag(help: "Print the time spent in each stage to stderr.")
    var timing = false

    func execute() throws {
        var job = VolumeReconstruction(input: input, output: output, sampling: try acquisition.sampling)
        job.slice = slice
        job.gFactorOutput = gfactor
        job.imageOutput = png
        job.imageCombination = combine
        job.complexImage = complex
        job.openInput = IsolatedInput.openReader
        job.settings = reconstructionSettings(method: method, grappa: grappaOptions, raki: rakiOptions, meta: metaOptions, sparse: sparseOptions,
                                              common: common)
        job.settings.prewhitening = prewhitening.prewhitening
        try job.validate()  // outputs and settings, before any file is read
        if let kernel { job.settings.kernel = (try GrappaKernel.read(kernel), kernel) }
        if method == .meta { job.settings.metaModel = try metaOptions.load() }
        let report = try job.run()
        for why in [report.unusableNoise, report.imageNote].compactMap({ $0 }) { printError("metagrappa: warning: \(why)") }
        if timing { VolumeReconstruction.describe(report).forEach(printError) }
    }
}
