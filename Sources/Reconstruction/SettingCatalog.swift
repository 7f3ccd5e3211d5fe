import GRAPPA
import MetaLearner
import MRICore
import RAKI

/// One reconstruction setting as every front end names it. ``SettingCatalog/all`` is the one
/// list: the C/JSON options take their keys from it, and tests check the command line's
/// option groups and the Python keywords and docstrings against it, so that a setting cannot
/// reach one front end and be forgotten in another.
public struct SettingDescription: Sendable, Equatable {
    /// The key of the C ABI's JSON options, and the setting's name.
    public let key: String
    /// The command-line flag (`recon`, `evaluate`), nil where the command line has none.
    public let flag: String?
    /// The Python keyword that carries it, nil where Python has none (`kernel` carries both
    /// support sizes as a pair; `lamda` because `lambda` is a Python keyword).
    public let python: String?
    /// The methods it applies to.
    public let methods: [ReconstructionMethod]
    /// Whether `auto` (the library's per-scan choice) is a value.
    public let acceptsAuto: Bool
    /// The default, as the library's own value says it.
    public let defaultValue: String
    /// One line for help texts and documents.
    public let summary: String
    /// The setting an ``MRICore/MRIError`` about it names.
    public let setting: MRIError.Setting?
}

/// The reconstruction settings every front end offers (see ``SettingDescription``).
public enum SettingCatalog {
    public static let all: [SettingDescription] = {
        let raki = Raki.Options()
        let every = ReconstructionMethod.allCases
        return [
            .init(key: "kernel_lines", flag: "--kernel-lines", python: "kernel", methods: [.grappa], acceptsAuto: true,
                  defaultValue: "auto", summary: "measured source lines of the GRAPPA kernel", setting: .kernelLines),
            .init(key: "kernel_readout", flag: "--kernel-readout", python: "kernel", methods: [.grappa], acceptsAuto: true,
                  defaultValue: "auto", summary: "GRAPPA kernel width along the readout (odd)", setting: .kernelReadout),
            .init(key: "lambda", flag: "--lambda", python: "lamda", methods: [.grappa, .meta], acceptsAuto: true,
                  defaultValue: "auto (the residual meta branch: its model's own)",
                  summary: "relative Tikhonov weight λ_rel of every GRAPPA kernel fitted (classic value \(Grappa.defaultLambda))",
                  setting: .lambda),
            .init(key: "solver", flag: "--solver", python: "solver", methods: [.grappa], acceptsAuto: false,
                  defaultValue: Grappa().solver.rawValue, summary: "GRAPPA calibration solver: cholesky or qr", setting: nil),
            .init(key: "noise_variance", flag: "--noise-variance", python: "noise_variance", methods: [.grappa], acceptsAuto: false,
                  defaultValue: "from the file's noise data, else estimated",
                  summary: "noise variance of one k-space sample of one coil, for the automatic λ", setting: .noiseVariance),
            .init(key: "iterations", flag: "--iterations", python: "iterations", methods: [.raki], acceptsAuto: false,
                  defaultValue: "from the scan's shape", summary: "RAKI: most Adam iterations (a loss plateau stops earlier)",
                  setting: .iterations),
            .init(key: "learning_rate", flag: "--learning-rate", python: "learning_rate", methods: [.raki], acceptsAuto: false,
                  defaultValue: "\(raki.learningRate)", summary: "RAKI: Adam learning rate", setting: .learningRate),
            .init(key: "seed", flag: "--seed", python: "seed", methods: [.raki], acceptsAuto: false,
                  defaultValue: "\(raki.seed)", summary: "RAKI: seed of the initial weights", setting: nil),
            .init(key: "hidden", flag: "--hidden", python: "hidden", methods: [.raki], acceptsAuto: false,
                  defaultValue: "\(raki.hiddenChannels.0),\(raki.hiddenChannels.1)", summary: "RAKI: channels of the two hidden layers",
                  setting: .hiddenChannels),
            .init(key: "plateau_window", flag: "--plateau-window", python: "plateau_window", methods: [.raki], acceptsAuto: false,
                  defaultValue: "\(raki.plateauWindow)", summary: "RAKI: iterations without a 0.1 % gain that end training",
                  setting: .plateauWindow),
            .init(key: "whitening_ridge", flag: "--whitening-ridge", python: "whitening_ridge", methods: [.raki], acceptsAuto: false,
                  defaultValue: "\(raki.whiteningRidge ?? 0)", summary: "RAKI: relative ridge of the first layer's input whitening (0: none)",
                  setting: .whiteningRidge),
            .init(key: "variant", flag: "--variant", python: "variant", methods: [.meta], acceptsAuto: false,
                  defaultValue: ReconstructionSettings().metaVariant.rawValue, summary: "Meta-GRAPPA variant: paper or residual",
                  setting: nil),
            .init(key: "model", flag: "--model", python: "model", methods: [.meta], acceptsAuto: false,
                  defaultValue: "the shipped model of the variant for the scan's R", summary: "Meta-GRAPPA model file (.mgmeta)",
                  setting: .metaModel),
            .init(key: "allow_other_array", flag: "--allow-other-array", python: "allow_other_array", methods: [.meta],
                  acceptsAuto: false, defaultValue: "\(ReconstructionSettings().allowOtherArray)",
                  summary: "Meta-GRAPPA: use the model on a scan of another coil array", setting: .coilArray),
            .init(key: "virtual_coils", flag: "--virtual-coils", python: "virtual_coils", methods: every, acceptsAuto: false,
                  defaultValue: "none (the physical coils)", summary: "SVD coil compression to N virtual coils before reconstructing",
                  setting: .virtualCoils),
        ]
    }()

    /// The JSON keys.
    public static var keys: Set<String> { Set(all.map(\.key)) }

    /// The JSON keys of a GRAPPA kernel alone (calibration, g-factor).
    public static var grappaKernelKeys: Set<String> {
        Set(all.filter { $0.methods == [.grappa] || $0.key == "lambda" }.map(\.key))
    }
}
