import ArgumentParser
import Foundation
import GRAPPA
import MRICore
import MRIIO

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

    @Argument(help: "Fully sampled k-space files (.npy, .cfl/.hdr, fastMRI or ISMRMRD .h5; [coils, ky, kx] per slice).")
    var inputs: [String]

    @Option(help: "The slice of multi-slice inputs to evaluate (0-based).")
    var slice: Int?

    @Option(help: "Acceleration R, or several: 2,3,4.")
    var accel: String

    @Option(help: "Number of centred ACS lines.")
    var acs = 32

    @Option(help: "Comma-separated methods to run (available: \(Method.allCases.map(\.rawValue).joined(separator: ", "))).")
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

    @OptionGroup var coilCompression: CoilCompressionOptions
    @OptionGroup(title: "RAKI") var rakiOptions: RakiOptions
    @OptionGroup(title: "Meta-GRAPPA") var metaOptions: MetaOptions

    func parsedMethods() throws -> [Method] {
        let names = methods.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw MRIError(.invalidArgument, "--methods is empty") }
        return try names.map { name in
            guard let m = Method(rawValue: name) else {
                throw MRIError(.invalidArgument,
                               "unknown method '\(name)' in --methods (available: \(Method.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return m
        }
    }

    func parsedAccelerations() throws -> [Int] {
        let values = accel.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw MRIError(.invalidArgument, "--accel must be an integer or a comma-separated list of integers, found '\(accel)'")
        }
        return values.map { $0! }
    }

    struct Result: Codable {
        let method: String
        let nrmse: Double
        let psnr: Double
        let ssim: Double
        let seconds: Double
    }

    /// One input at one R: the schema of `results.json` (an array of these for several).
    struct Run: Codable {
        let input: String
        let accel: Int
        let acs: Int
        let acs_reinserted: Bool
        let zero_filled: Result
        let methods: [Result]
    }

    func execute() throws {
        let chosen = try parsedMethods(), rates = try parsedAccelerations()
        guard errorScale > 0, errorScale.isFinite else { throw MRIError(.invalidArgument, "--error-scale must be positive") }
        let single = inputs.count == 1 && rates.count == 1
        if let json { try validateOutput(json, input: inputs[0], extensions: ["json"]) }
        if let png {
            guard single else { throw MRIError(.invalidArgument, "--png takes one input and one R; use --report DIR for several") }
            try validateOutput(png, input: inputs[0], extensions: ["png"])
        }
        if let report { try FileManager.default.createDirectory(atPath: report, withIntermediateDirectories: true) }
        var settings = MethodSettings(grappa: grappaOptions.grappa, raki: rakiOptions.raki,
                                      meta: chosen.contains(.meta) ? try metaOptions.load() : nil,
                                      allowOtherArray: metaOptions.allowOtherArray, virtualCoils: coilCompression.virtualCoils)
        var runs: [Run] = []
        var figures: [String] = []
        for input in inputs {
            settings.source = input
            let reader = try IsolatedInput.openReader(input)
            for method in chosen { try MemoryBudget.check(reader.sliceShape, method: method, source: input) }
            let full = try reader.readSlice(KSpaceFiles.chosenSlice(slice, of: reader, source: input))
            for r in rates {
                let (run, figure) = try evaluate(full, input: input, r: r, methods: chosen, settings: settings)
                runs.append(run)
                printTable(run)
                fflush(nil)  // a table per run as it finishes, also through a pipe
                if let png { try PNGWriter.write(figure, to: png) }
                if let report {
                    let name = single ? "figure.png"
                        : "figure-\(URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent)-R\(r).png"
                    try PNGWriter.write(figure, to: report + "/" + name)
                    figures.append(name)
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = single ? try encoder.encode(runs[0]) : try encoder.encode(runs)
        if let json { try AtomicFile.write(Array(data) + [0x0A], to: json) }
        if !single { print("\n" + summary(runs, methods: chosen)) }
        if let report {
            try AtomicFile.write(Array(data) + [0x0A], to: report + "/results.json")
            try AtomicFile.write(Array(markdownReport(runs, methods: chosen, figures: figures).utf8), to: report + "/report.md")
        }
    }

    private func evaluate(_ full: KSpace, input: String, r: Int, methods: [Method],
                          settings: MethodSettings) throws -> (Run, Bitmap) {
        let mask = try SamplingMask.uniform(ny: full.ny, acceleration: r, acsLines: acs)
        let lattice = SamplingMask(acquired: (0..<full.ny).map(UndersamplingLattice(acceleration: r, offset: full.ny / 2).contains))
        let acquired = full.masked(by: mask)
        let reference = CenteredFFT.rssImage(of: full)
        let zeroFilledImage = CenteredFFT.rssImage(of: noAcsReinsert ? full.masked(by: lattice) : acquired)
        let zf = ImageMetrics(image: zeroFilledImage, reference: reference)
        var results: [Result] = []
        var rows = [ComparisonFigure.Row(label: "REFERENCE", image: reference, error: nil),
                    .init(label: String(format: "ZERO-FILLED  NRMSE %.4f", zf.nrmse), image: zeroFilledImage,
                          error: ComparisonFigure.absoluteError(zeroFilledImage, reference))]
        for method in methods {
            let clock = Stopwatch()
            let (out, _, _) = try method.reconstruct(acquired, mask: mask, applyMask: noAcsReinsert ? lattice : nil,
                                                     settings: settings)
            let seconds = clock.seconds
            let image = CenteredFFT.rssImage(of: out)
            let m = ImageMetrics(image: image, reference: reference)
            results.append(Result(method: method.rawValue, nrmse: m.nrmse, psnr: m.psnr, ssim: m.ssim, seconds: seconds))
            rows.append(.init(label: String(format: "%@  NRMSE %.4f  %.2f S", method.rawValue, m.nrmse, seconds),
                              image: image, error: ComparisonFigure.absoluteError(image, reference)))
        }
        let run = Run(input: input, accel: r, acs: acs, acs_reinserted: !noAcsReinsert,
                      zero_filled: Result(method: "zero-filled", nrmse: zf.nrmse, psnr: zf.psnr, ssim: zf.ssim, seconds: 0),
                      methods: results)
        let figure = ComparisonFigure.render(rows, window: reference.pixels.max() ?? 1, errorScale: errorScale,
                                             crop: crop ? ComparisonFigure.objectBounds(reference) : nil)
        return (run, figure)
    }

    private func printTable(_ run: Run) {
        print("input \(run.input)  R=\(run.accel)  ACS=\(run.acs)\(run.acs_reinserted ? "" : "  (ACS not reinserted)")")
        print("method         NRMSE    PSNR/dB   SSIM     seconds")
        for r in [run.zero_filled] + run.methods {
            print(r.method.padding(toLength: 12, withPad: " ", startingAt: 0)
                  + String(format: " %7.4f %9.2f %7.4f %9.3f", r.nrmse, r.psnr, r.ssim, r.seconds))
        }
    }

    /// NRMSE of every method, one row per input and R, ready to paste into BENCHMARKS.md.
    private func summary(_ runs: [Run], methods: [Method]) -> String {
        var lines = ["| input | R | ACS | zero-filled | " + methods.map(\.rawValue).joined(separator: " | ") + " |",
                     "|---|---|---|---|" + String(repeating: "---|", count: methods.count)]
        for run in runs {
            let cells = run.methods.map { String(format: "%.4f (%.2f s)", $0.nrmse, $0.seconds) }
            lines.append("| \(URL(fileURLWithPath: run.input).lastPathComponent) | \(run.accel) | \(run.acs) | "
                         + String(format: "%.4f", run.zero_filled.nrmse) + " | " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    private func markdownReport(_ runs: [Run], methods: [Method], figures: [String]) -> String {
        let g = grappaOptions.grappa
        var text = """
            # MetaGRAPPA evaluation

            Date \(ISO8601DateFormatter().string(from: Date())); machine \(ProcessInfo.processInfo.hostName), \
            \(ProcessInfo.processInfo.activeProcessorCount) cores; \(Parallel.workers) worker threads.

            Settings: ACS \(acs) lines, ACS \(noAcsReinsert ? "not reinserted (interpolation alone)" : "reinserted"); \
            GRAPPA kernel \(g.kernel), λ_rel \(g.regularization), solver \(g.solver.rawValue); \
            RAKI hidden \(rakiOptions.hidden), learning rate \(rakiOptions.learningRate), \
            iterations \(rakiOptions.iterations.map(String.init) ?? "automatic"), seed \(rakiOptions.seed). \
            Errors are shown ×\(errorScale) on the reference's grey scale.

            \(summary(runs, methods: methods))

            PSNR / SSIM: \(runs.map { run in run.methods.map { String(format: "%@ R=%d %.2f dB / %.4f", $0.method, run.accel, $0.psnr, $0.ssim) }.joined(separator: "; ") }.joined(separator: "; "))


            """
        for name in figures { text += "![\(name)](\(name))\n\n" }
        return text
    }
}
