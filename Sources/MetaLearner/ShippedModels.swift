import CShippedData
import Foundation
import MRICore

/// The models shipped inside the binary (so that `recon --method meta` works wherever the
/// executable is copied), one per variant and acceleration for the paper's 32-coil array.
/// `Models/paper-array-R<R>-<variant>.mgmeta`, linked in byte for byte (`CShippedData`); a
/// test checks that the linked bytes equal the files.
public enum ShippedModels {
    /// The accelerations `variant` has a shipped model for, ascending.
    public static func accelerations(for variant: MetaVariant) -> [Int] {
        shippedNames.compactMap { key -> Int? in
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
        let name = "\(variant.rawValue)-R\(r)"
        for i in 0..<mg_shipped_model_count() {
            let file = mg_shipped_model(i)
            if String(cString: file.name) == name { return Array(UnsafeBufferPointer(start: file.bytes, count: file.size)) }
        }
        return nil
    }

    /// The shipped models' names, "<variant>-R<R>".
    static var shippedNames: [String] {
        (0..<mg_shipped_model_count()).map { String(cString: mg_shipped_model($0).name) }
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
