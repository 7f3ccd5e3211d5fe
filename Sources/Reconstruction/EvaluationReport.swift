import Compute
import Foundation

/// Text forms of evaluation runs: the per-run table, the Markdown summary over runs, and
/// the report that goes with the figures.
public enum EvaluationReport {
    /// One run as a fixed-width table.
    public static func table(_ run: Evaluation.Run) -> String {
        var lines = ["input \(run.input)  R=\(run.accel)  ACS=\(run.acs)\(run.acs_reinserted ? "" : "  (ACS not reinserted)")",
                     "method         NRMSE    PSNR/dB   SSIM     seconds"]
        for r in [run.zero_filled] + run.methods {
            let kernel = r.grappa_kernel.map { k in "  kernel \(k), λ_rel " + String(format: "%.3g", r.grappa_lambda ?? 0) }
                ?? r.cs_lambda.map { "  λ " + String(format: "%.3g", $0) } ?? ""
            lines.append(r.method.padding(toLength: 12, withPad: " ", startingAt: 0)
                         + String(format: " %7.4f %9.2f %7.4f %9.3f", r.nrmse, r.psnr, r.ssim, r.seconds) + kernel)
        }
        return lines.joined(separator: "\n")
    }

    /// NRMSE of every method, one row per input and R, as a Markdown table.
    public static func summary(_ runs: [Evaluation.Run], methods: [ReconstructionMethod]) -> String {
        var lines = ["| input | R | ACS | zero-filled | " + methods.map(\.rawValue).joined(separator: " | ") + " |",
                     "|---|---|---|---|" + String(repeating: "---|", count: methods.count)]
        for run in runs {
            let cells = run.methods.map { score in
                String(format: "%.4f (%.2f s", score.nrmse, score.seconds)
                    + (score.grappa_kernel.map { ", \($0), λ " + String(format: "%.2g", score.grappa_lambda ?? 0) }
                       ?? score.cs_lambda.map { ", λ " + String(format: "%.2g", $0) } ?? "") + ")"
            }
            lines.append("| \(URL(fileURLWithPath: run.input).lastPathComponent) | \(run.accel) | \(run.acs) | "
                         + String(format: "%.4f", run.zero_filled.nrmse) + " | " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    /// The Markdown report: date, machine, settings, the summary, PSNR/SSIM and the figures.
    public static func markdown(_ runs: [Evaluation.Run], evaluation: Evaluation, acsLines: Int, figures: [String]) -> String {
        let g = evaluation.settings.effectiveGrappa, raki = evaluation.settings.raki.options
        let reinsert = evaluation.reinsertACS
        var text = """
            # MetaGRAPPA evaluation

            Date \(ISO8601DateFormatter().string(from: Date())); machine \(ProcessInfo.processInfo.hostName), \
            \(ProcessInfo.processInfo.activeProcessorCount) cores; \(Parallel.workers) worker threads; OpenBLAS kernel \(BLASThreading.coreName).

            Settings: ACS \(acsLines) lines, ACS \(reinsert ? "reinserted" : "not reinserted (interpolation alone)"); \
            GRAPPA kernel \(g.supportDescription), λ_rel \(g.regularizationDescription), solver \(g.solver.rawValue); \
            RAKI hidden \(raki.hiddenChannels.0),\(raki.hiddenChannels.1), learning rate \(raki.learningRate), \
            iterations \(raki.iterations.map(String.init) ?? "automatic"), seed \(raki.seed). \
            Errors are shown ×\(evaluation.errorScale) on the reference's grey scale.

            \(summary(runs, methods: evaluation.methods))

            PSNR / SSIM: \(runs.map { run in run.methods.map { String(format: "%@ R=%d %.2f dB / %.4f", $0.method, run.accel, $0.psnr, $0.ssim) }.joined(separator: "; ") }.joined(separator: "; "))


            """
        for name in figures { text += "![\(name)](\(name))\n\n" }
        return text
    }
}
