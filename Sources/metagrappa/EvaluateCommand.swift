import ArgumentParser
import Foundation
import Reconstruction

struct EvaluateCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Undersample fully sampled scans, reconstruct them with each method, and score and show the results.",
        discussion: """
            Scores are of the RSS magnitude image against the RSS of the input: NRMSE = ‖x̂ − x‖/‖x‖; \
            PSNR = 20·log10(max x / RMSE); SSIM with an 11×11 Gaussian window (σ = 1.5), \
            K1 = 0.01, K2 = 0.03, L = max x − min x. Seconds are the method's wall time \
            (calibration or training + application), without file I/O. ACS lines are put back \
            (kept as measured) unless --no-acs-reinsert. With several inputs or R values a \
            Markdown summary table is printed.
            """)

    @Argument(help: "Fully sampled k-space files (.npy, .cfl/.hdr, fastMRI or ISMRMRD .h5, Siemens .dat; [coils, ky, kx] per slice).")
    var inputs: [String]

    @Option(help: "The slice of multi-slice inputs to evaluate (0-based).")
    var slice: Int?

    @Option(help: "Acceleration R, or several: 2,3,4.")
    var accel: String

    @Option(help: "Number of centred ACS lines.")
    var acs = SamplingSource.defaultACSLines

    @Option(help: "Comma-separated methods to run (available: \(ReconstructionMethod.allCases.map(\.rawValue).joined(separator: ", "))).")
    var methods = "grappa"

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    @Option(help: "Write the comparison figure (one input, one R) to this PNG.")
    var png: String?

    @Option(help: "Write results.json, the figures and report.md into this directory (created if missing).")
    var report: String?

    @Option(name: .customLong("error-scale"), help: "Factor by which error images are amplified in the figures.")
    var errorScale: Float = 10

    @Flag(help: "Crop the figures to the object (where the reference exceeds 10 % of its maximum).")
    var crop = false

    @Flag(name: .customLong("no-acs-reinsert"), help: "Score the interpolation alone: estimate the ACS lines too instead of keeping them.")
    var noAcsReinsert = false

    @OptionGroup(title: "GRAPPA") var grappaOptions: GrappaOptions

    @OptionGroup var common: MethodIndependentOptions
    @OptionGroup(title: "RAKI") var rakiOptions: RakiOptions
    @OptionGroup(title: "Meta-GRAPPA") var metaOptions: MetaOptions
    @OptionGroup(title: "CS") var sparseOptions: SparseOptions

    func execute() throws {
        let chosen = try ReconstructionMethod.list(methods)
        var evaluation = Evaluation(methods: chosen, settings: reconstructionSettings(
            method: chosen[0], grappa: grappaOptions, raki: rakiOptions, meta: metaOptions, sparse: sparseOptions, common: common))
        evaluation.reinsertACS = !noAcsReinsert
        evaluation.errorScale = errorScale
        evaluation.crop = crop
        var job = EvaluationJob(inputs: inputs, accelerations: try EvaluationJob.accelerations(accel), acsLines: acs, evaluation: evaluation)
        (job.slice, job.jsonOutput, job.pngOutput, job.reportDirectory) = (slice, json, png, report)
        job.openInput = IsolatedInput.openReader
        try job.validate()
        if chosen.contains(.meta) { job.evaluation.settings.metaModel = try metaOptions.load() }
        let runs = try job.run { run in
            print(EvaluationReport.table(run))
            fflush(nil)  // a table per run as it finishes, also through a pipe
        }
        if !job.isSingle { print("\n" + EvaluationReport.summary(runs, methods: chosen)) }
    }
}
