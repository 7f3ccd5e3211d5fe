import Foundation
import MRICore
import MRIIO
import Reporting

/// Evaluates methods on fully sampled files: each input (one slice) undersampled at each R,
/// reconstructed by every method and scored against itself (``Evaluation``); optionally writes
/// the results as JSON, the figure as PNG, and a report folder (results.json, figures,
/// report.md). The library call behind `metagrappa evaluate`.
public struct EvaluationJob {
    /// Fully sampled inputs.
    public var inputs: [String]
    /// Accelerations R, each run on every input.
    public var accelerations: [Int]
    /// ACS lines of the undersampling.
    public var acsLines: Int
    /// Methods, settings and scoring.
    public var evaluation: Evaluation
    /// The slice of multi-slice inputs.
    public var slice: Int?
    /// The runs as JSON (one object for one input and one R, else an array).
    public var jsonOutput: String?
    /// The figure as PNG (one input and one R only).
    public var pngOutput: String?
    /// A folder for results.json, figures and report.md.
    public var reportDirectory: String?
    /// Opens an input (a front end may isolate the file reader, say).
    public var openInput: (String) throws -> any KSpaceVolumeReader = KSpaceFiles.openReader

    public init(inputs: [String], accelerations: [Int], acsLines: Int, evaluation: Evaluation) {
        (self.inputs, self.accelerations, self.acsLines, self.evaluation) = (inputs, accelerations, acsLines, evaluation)
    }

    /// The accelerations of a comma-separated list such as `2,3,4`.
    public static func accelerations(_ text: String) throws -> [Int] {
        let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw MRIError(.invalidArgument, "expected an integer or a comma-separated list of integers, found '\(text)'", setting: .acceleration)
        }
        return values.map { $0! }
    }

    /// One input and one R: outputs hold one run.
    public var isSingle: Bool { inputs.count == 1 && accelerations.count == 1 }

    /// Checks settings and outputs before anything is read.
    public func validate() throws {
        guard !inputs.isEmpty, !accelerations.isEmpty, !evaluation.methods.isEmpty else {
            throw MRIError(.invalidArgument, "an evaluation needs inputs, accelerations and methods")
        }
        guard evaluation.errorScale > 0, evaluation.errorScale.isFinite else {
            throw MRIError(.invalidArgument, "the error figure's scale must be positive, found \(evaluation.errorScale)")
        }
        if let jsonOutput { try KSpaceFiles.validateOutput(jsonOutput, input: inputs[0], extensions: ["json"]) }
        if let pngOutput {
            guard isSingle else { throw MRIError(.invalidArgument, "a PNG figure is of one input and one R; write a report folder for several") }
            try KSpaceFiles.validateOutput(pngOutput, input: inputs[0], extensions: ["png"])
        }
        for method in evaluation.methods {
            var settings = evaluation.settings
            settings.method = method
            try settings.validate()
        }
    }

    /// Runs every input at every R, calling `finished` after each run; writes the outputs.
    public func run(finished: (Evaluation.Run) -> Void = { _ in }) throws -> [Evaluation.Run] {
        try validate()
        if let reportDirectory { try FileManager.default.createDirectory(atPath: reportDirectory, withIntermediateDirectories: true) }
        var runs: [Evaluation.Run] = []
        var figures: [String] = []
        for input in inputs {
            let reader = try openInput(input)
            for method in evaluation.methods { try MemoryBudget.check(reader.sliceShape, method: method, source: input) }
            let full = try reader.readSlice(KSpaceFiles.chosenSlice(slice, of: reader, source: input))
            for r in accelerations {
                let (run, figure) = try evaluation.run(full, input: input, acceleration: r, acsLines: acsLines)
                runs.append(run)
                finished(run)
                if let pngOutput { try PNGWriter.write(figure, to: pngOutput) }
                if let reportDirectory {
                    let name = isSingle ? "figure.png"
                        : "figure-\(URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent)-R\(r).png"
                    try PNGWriter.write(figure, to: reportDirectory + "/" + name)
                    figures.append(name)
                }
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = Array(isSingle ? try encoder.encode(runs[0]) : try encoder.encode(runs)) + [0x0A]
        if let jsonOutput { try AtomicFile.write(data, to: jsonOutput) }
        if let reportDirectory {
            try AtomicFile.write(data, to: reportDirectory + "/results.json")
            let markdown = EvaluationReport.markdown(runs, evaluation: evaluation, acsLines: acsLines, figures: figures)
            try AtomicFile.write(Array(markdown.utf8), to: reportDirectory + "/report.md")
        }
        return runs
    }
}
