import Foundation
import MRICore

/// The models shipped inside the binary (so that `recon --method meta` works wherever the
/// executable is copied), one per variant and acceleration for the paper's 32-coil array.
/// Generated from `Models/paper-array-R<R>-<variant>.mgmeta` by `scripts/embed-models`; a
/// test checks that the embedded bytes equal the files.
public enum ShippedModels {
    /// The accelerations `variant` has a shipped model for, ascending.
    public static func accelerations(for variant: MetaVariant) -> [Int] {
        ShippedModelData.base64.keys.compactMap { key -> Int? in
            let parts = key.split(separator: "-")
            return parts.count == 2 && parts[0] == variant.rawValue ? Int(parts[1].dropFirst()) : nil
        }.sorted()
    }

    /// The shipped model of `variant` for the paper's 32-coil array at acceleration `r`, if any.
    public static func model(for variant: MetaVariant, acceleration r: Int = 4) throws -> MetaModel? {
        guard let bytes = bytes(for: variant, acceleration: r) else { return nil }
        return try MetaModel(serialized: bytes, source: "shipped model '\(variant.rawValue)' for R=\(r)")
    }

    /// The shipped model of `variant` at acceleration `r`, or the error a user sees (which
    /// accelerations have one, and how to train another).
    public static func require(_ variant: MetaVariant, acceleration r: Int) throws -> MetaModel {
        if let model = try model(for: variant, acceleration: r) { return model }
        let shipped = accelerations(for: variant).map { "R=\($0)" }.joined(separator: ", ")
        throw MRIError(.invalidArgument,
                       "no meta model is shipped for variant '\(variant.rawValue)' at R=\(r) (shipped: \(shipped.isEmpty ? "none" : shipped)); a model meta-trained for R=\(r) is needed",
                       setting: .metaModel)
    }

    /// The embedded bytes of `variant`'s shipped model at `r` (for checks against `Models/`).
    public static func bytes(for variant: MetaVariant, acceleration r: Int = 4) -> [UInt8]? {
        ShippedModelData.base64["\(variant.rawValue)-R\(r)"].flatMap { Data(base64Encoded: $0) }.map(Array.init)
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
}
