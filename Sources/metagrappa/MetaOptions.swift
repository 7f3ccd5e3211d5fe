import ArgumentParser
import Foundation
import MetaLearner
import MRICore

extension MetaVariant: ExpressibleByArgument {}

/// Options of the meta-learned reconstruction.
struct MetaOptions: ParsableArguments {
    @Option(help: "Meta: variant, paper (METHOD.md §5) or residual (per-scan linear branch + meta-adapted learner).")
    var variant: MetaVariant = .paper

    @Option(help: "Meta: model file from `metagrappa meta-train` (default: the shipped model of the variant, for the paper's 32-coil array at R=4).")
    var model: String?

    @Flag(name: .customLong("allow-other-array"),
          help: "Meta: use the model even if the scan's coil-correlation fingerprint does not match its array (same coil count).")
    var allowOtherArray = false

    /// The model to use (read and checked before any reconstruction).
    func load() throws -> MetaModel {
        if let model { return try MetaModelFile.read(model) }
        guard let shipped = try ShippedModels.model(for: variant) else {
            throw MRIError(.invalidArgument,
                           "no shipped meta model for variant '\(variant.rawValue)'; train one with `metagrappa meta-train` and pass --model")
        }
        return shipped
    }
}

/// Reading and writing model files.
enum MetaModelFile {
    static func read(_ path: String) throws -> MetaModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MRIError(.io, "\(path): cannot read the meta model (missing or unreadable)")
        }
        let model = try MetaModel(serialized: Array(data), source: path)
        return model
    }
}
