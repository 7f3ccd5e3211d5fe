import Foundation
import MRICore

/// The models shipped inside the binary (so that `recon --method meta` works wherever the
/// executable is copied). Generated from `Models/*.mgmeta` by `scripts/embed-models`;
/// a test checks that the embedded bytes equal the files.
public enum ShippedModels {
    /// The shipped model of `variant` for the paper's 32-coil array at R = 4, if any.
    public static func model(for variant: MetaVariant) throws -> MetaModel? {
        guard let text = ShippedModelData.base64[variant.rawValue], let data = Data(base64Encoded: text) else { return nil }
        return try MetaModel(serialized: Array(data), source: "shipped model '\(variant.rawValue)'")
    }

    /// The embedded bytes of `variant`'s shipped model (for checks against `Models/`).
    public static func bytes(for variant: MetaVariant) -> [UInt8]? {
        ShippedModelData.base64[variant.rawValue].flatMap { Data(base64Encoded: $0) }.map(Array.init)
    }
}

extension MetaModel {
    /// Reads a model file written by `meta-train` (``serialized()``).
    public static func read(_ path: String) throws -> MetaModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MRIError(.io, "\(path): cannot read the meta model (missing or unreadable)")
        }
        return try MetaModel(serialized: Array(data), source: path)
    }

    /// The model in `path`, or without one the shipped model of `variant`.
    public static func load(_ path: String?, variant: MetaVariant) throws -> MetaModel {
        if let path { return try read(path) }
        guard let shipped = try ShippedModels.model(for: variant) else {
            throw MRIError(.invalidArgument, "no meta model is shipped for variant '\(variant.rawValue)'; a meta-trained model is needed",
                           setting: .metaModel)
        }
        return shipped
    }
}
