import Foundation
import GRAPPA
import MetaLearner
import MRICore
import RAKI
import Reconstruction

/// Reconstruction settings from the JSON options of the C entry points, the Python package's
/// keyword arguments, keyed as ``Reconstruction/SettingCatalog`` names them (`kernel_lines`,
/// `kernel_readout` and `lambda` also take `"auto"`; `hidden` is [a, b]). Unknown keys are
/// refused, so that a misspelt option is not ignored.
enum SettingsFromJSON {
    /// The options of a GRAPPA kernel alone (`mg_calibrate`, `mg_gfactor`).
    static let grappaKeys = SettingCatalog.grappaKernelKeys
    static let keys = SettingCatalog.keys

    /// Refuses the first key of `o` not in `known`; `context` says what the options are for.
    static func refuseUnknown(_ o: [String: Any], known: Set<String>, context: String = "") throws {
        if let unknown = o.keys.filter({ !known.contains($0) }).sorted().first {
            throw MRIError(.invalidArgument, "unknown option '\(unknown)'\(context) (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    /// A GRAPPA kernel's settings from options that may hold nothing else.
    static func grappaAlone(_ o: [String: Any]) throws -> Grappa {
        try refuseUnknown(o, known: grappaKeys, context: " for a GRAPPA kernel")
        return try grappa(o)
    }

    static func settings(method: String, _ o: [String: Any]) throws -> ReconstructionSettings {
        guard let method = ReconstructionMethod(rawValue: method) else {
            throw MRIError(.invalidArgument, "method '\(method)': expected \(ReconstructionMethod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try refuseUnknown(o, known: keys)
        var s = ReconstructionSettings(method: method)
        s.grappa = try grappa(o)
        s.lambda = try lambda(o)
        var r = Raki.Options()
        let iterations = try integer(o, "iterations")  // RAKI's and cs's
        if let iterations { r.iterations = iterations }
        if let v = try number(o, "learning_rate") { r.learningRate = Float(v) }
        if let v = try integer(o, "seed") { guard v >= 0 else { throw bad("seed", v, "a non-negative integer") }; r.seed = UInt64(v) }
        if let v = try integer(o, "plateau_window") { r.plateauWindow = v }
        if let v = try number(o, "whitening_ridge") { r.whiteningRidge = v == 0 ? nil : Float(v) }
        if let v = o["hidden"] {
            guard let pair = v as? [Any], pair.count == 2, let a = pair[0] as? Int, let b = pair[1] as? Int else {
                throw bad("hidden", v, "two integers")
            }
            r.hiddenChannels = (a, b)
        }
        s.raki = Raki(options: r)
        if let v = o["allow_other_array"] {
            guard isBoolean(v), let b = v as? Bool else { throw bad("allow_other_array", v, "true or false") }
            s.allowOtherArray = b
        }
        s.virtualCoils = try integer(o, "virtual_coils")
        if let v = o["partial_fourier"] {
            guard let name = v as? String, let parsed = PartialFourierCompletion(rawValue: name) else {
                throw bad("partial_fourier", v, PartialFourierCompletion.allCases.map(\.rawValue).joined(separator: " or "))
            }
            s.partialFourier = parsed
        }
        if let iterations { s.sparse.iterations = iterations }
        if let v = o["keep_measured"] {
            guard isBoolean(v), let b = v as? Bool else { throw bad("keep_measured", v, "true or false") }
            s.sparse.keepMeasured = b
        }
        if method == .meta {
            var variant = MetaVariant.paper
            if let v = o["variant"] {
                guard let name = v as? String, let parsed = MetaVariant(rawValue: name) else { throw bad("variant", v, "paper or residual") }
                variant = parsed
            }
            if let v = o["model"], !(v is String) { throw bad("model", v, "a file path") }
            s.metaVariant = variant
            s.metaModel = try (o["model"] as? String).map(MetaModel.read)
        }
        try s.validate()
        return s
    }

    static func grappa(_ o: [String: Any]) throws -> Grappa {
        let lines = try automaticInteger(o, "kernel_lines"), readout = try automaticInteger(o, "kernel_readout")
        let support = GrappaSupport.requested(lines: lines ?? nil, readout: readout ?? nil,
                                              eitherAutomatic: lines == .some(nil) || readout == .some(nil))
        var solver = Grappa.Solver.cholesky
        if let v = o["solver"] {
            guard let name = v as? String, let parsed = Grappa.Solver(rawValue: name) else { throw bad("solver", v, "cholesky or qr") }
            solver = parsed
        }
        var g = Grappa(support: support, solver: solver)
        if let v = o["virtual_conjugate"] {
            guard let name = v as? String, let parsed = GrappaVirtualConjugate(rawValue: name) else { throw bad("virtual_conjugate", v, "on, off or auto") }
            g.virtualConjugate = parsed
        }
        if let given = try lambda(o) { g.lambda = given }
        g.noiseVariance = try number(o, "noise_variance")
        try g.validate()
        return g
    }

    /// λ_rel as given: nil when absent (each method's default).
    private static func lambda(_ o: [String: Any]) throws -> GrappaLambda? {
        guard let v = o["lambda"] else { return nil }
        if let text = v as? String, text == "auto" { return .automatic }
        guard !isBoolean(v), let x = v as? Double else { throw bad("lambda", v, "a number or \"auto\"") }
        return .relative(x)
    }

    /// nil: absent; .some(nil): "auto"; .some(n): n.
    private static func automaticInteger(_ o: [String: Any], _ key: String) throws -> Int?? {
        guard let v = o[key] else { return nil }
        if let text = v as? String, text == "auto" { return .some(nil) }
        guard !isBoolean(v), let n = v as? Int else { throw bad(key, v, "an integer or \"auto\"") }
        return .some(n)
    }

    static func integer(_ o: [String: Any], _ key: String) throws -> Int? {
        guard let v = o[key] else { return nil }
        guard !isBoolean(v), let n = v as? Int else { throw bad(key, v, "an integer") }
        return n
    }

    static func number(_ o: [String: Any], _ key: String) throws -> Double? {
        guard let v = o[key] else { return nil }
        guard !isBoolean(v), let x = v as? Double, x.isFinite else { throw bad(key, v, "a finite number") }
        return x
    }

    /// Whether a JSON value is true or false (Foundation bridges both booleans and numbers to
    /// NSNumber, and on Linux `1 is Bool` holds; a boolean's type code is "c").
    private static func isBoolean(_ v: Any) -> Bool {
        (v as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false
    }

    private static func bad(_ key: String, _ value: Any, _ expected: String) -> MRIError {
        MRIError(.invalidArgument, "option \(key) = \(value): expected \(expected)")
    }
}
