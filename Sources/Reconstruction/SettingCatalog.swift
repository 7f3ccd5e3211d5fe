import CompressedSensing
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
    /// What it is, for help texts and documents (the command line's help is this text).
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
                  defaultValue: "auto", summary: "measured source lines of the GRAPPA kernel, or auto (either size auto chooses both)", setting: .kernelLines),
            .init(key: "kernel_readout", flag: "--kernel-readout", python: "kernel", methods: [.grappa], acceptsAuto: true,
                  defaultValue: "auto", summary: "GRAPPA kernel width along the readout (odd), or auto; by default the support is chosen per scan (docs/grappa.md), and one size given alone takes the classic value (5 readout, 4 lines) for the other", setting: .kernelReadout),
            .init(key: "lambda", flag: "--lambda", python: "lamda", methods: [.grappa, .meta, .cs], acceptsAuto: true,
                  defaultValue: "auto (the residual meta branch: its model's own)",
                  summary: "relative Tikhonov weight λ_rel of every GRAPPA kernel fitted (λ = λ_rel · trace(AᴴA)/unknowns), or auto: chosen per scan; Meta-GRAPPA's residual branch defaults to the λ_rel its model was meta-trained with. The classic fixed value is \(Grappa.defaultLambda). For cs, the l1-wavelet weight relative to the data's intensity (the 90th percentile of the ACS image), or auto: chosen per scan",
                  setting: .lambda),
            .init(key: "virtual_conjugate", flag: "--virtual-conjugate", python: "virtual_conjugate", methods: [.grappa], acceptsAuto: true,
                  defaultValue: Grappa().virtualConjugate.rawValue,
                  summary: "virtual conjugate coils: each coil's conjugate reflection conj(k(−ky, −kx)) joins the GRAPPA kernel's sources (on), never (off), or auto: chosen per scan with the support and λ, where its expected error is the smaller (with a fixed support and λ: off); a partial-Fourier acquisition or a lattice that does not reflect onto itself cannot have them (auto: off)",
                  setting: .virtualConjugate),
            .init(key: "solver", flag: "--solver", python: "solver", methods: [.grappa], acceptsAuto: false,
                  defaultValue: Grappa().solver.rawValue, summary: "GRAPPA calibration solver: cholesky (fast) or qr (for checking)", setting: nil),
            .init(key: "noise_variance", flag: "--noise-variance", python: "noise_variance", methods: [.grappa, .cs], acceptsAuto: false,
                  defaultValue: "from the file's noise data, else estimated",
                  summary: "noise variance of one k-space sample of one coil (mean over the coils), where known, e.g. from a separate noise scan scaled to the readout's bandwidth: the automatic λ (GRAPPA's and cs's) uses it instead of its own estimate. By default it comes from the input's noise data where the file says how they relate to its imaging samples (ISMRMRD), else it is estimated from the scan", setting: .noiseVariance),
            .init(key: "iterations", flag: "--iterations", python: "iterations", methods: [.raki, .cs], acceptsAuto: false,
                  defaultValue: "RAKI: from the scan's shape; cs: \(SparseSenseReconstruction().iterations)",
                  summary: "most iterations: RAKI's Adam steps (training stops earlier on a loss plateau; by default from the scan's shape, as many as fit ~22 s of arithmetic on 2 cores, 100…1500), or cs's FISTA steps (default \(SparseSenseReconstruction().iterations))",
                  setting: .iterations),
            .init(key: "learning_rate", flag: "--learning-rate", python: "learning_rate", methods: [.raki], acceptsAuto: false,
                  defaultValue: "\(raki.learningRate)", summary: "RAKI: Adam learning rate", setting: .learningRate),
            .init(key: "seed", flag: "--seed", python: "seed", methods: [.raki], acceptsAuto: false,
                  defaultValue: "\(raki.seed)", summary: "RAKI: seed of the initial weights (same seed, same result)", setting: nil),
            .init(key: "hidden", flag: "--hidden", python: "hidden", methods: [.raki], acceptsAuto: false,
                  defaultValue: "\(raki.hiddenChannels.0),\(raki.hiddenChannels.1)", summary: "RAKI: channels of the two hidden layers, as A,B",
                  setting: .hiddenChannels),
            .init(key: "plateau_window", flag: "--plateau-window", python: "plateau_window", methods: [.raki], acceptsAuto: false,
                  defaultValue: "\(raki.plateauWindow)", summary: "RAKI: stop when the loss has not improved by 0.1 % over this many iterations",
                  setting: .plateauWindow),
            .init(key: "whitening_ridge", flag: "--whitening-ridge", python: "whitening_ridge", methods: [.raki], acceptsAuto: false,
                  defaultValue: "\(raki.whiteningRidge ?? 0)", summary: "RAKI: relative ridge of the first layer's input whitening (0 trains on the raw input)",
                  setting: .whiteningRidge),
            .init(key: "variant", flag: "--variant", python: "variant", methods: [.meta], acceptsAuto: false,
                  defaultValue: ReconstructionSettings().metaVariant.rawValue, summary: "Meta-GRAPPA variant: paper (the published method) or residual (per-scan linear branch + meta-adapted learner)",
                  setting: nil),
            .init(key: "model", flag: "--model", python: "model", methods: [.meta], acceptsAuto: false,
                  defaultValue: "the shipped model of the variant for the scan's R", summary: "Meta-GRAPPA model file from `metagrappa meta-train` (.mgmeta); by default the shipped model of the variant for the paper's 32-coil array at the scan's R (4, 5 or 6)",
                  setting: .metaModel),
            .init(key: "allow_other_array", flag: "--allow-other-array", python: "allow_other_array", methods: [.meta],
                  acceptsAuto: false, defaultValue: "\(ReconstructionSettings().allowOtherArray)",
                  summary: "Meta-GRAPPA: use the model even if the scan's coil-correlation fingerprint does not match its array (same coil count)", setting: .coilArray),
            .init(key: "keep_measured", flag: "--keep-measured", python: "keep_measured", methods: [.cs], acceptsAuto: false,
                  defaultValue: "\(SparseSenseReconstruction().keepMeasured)",
                  summary: "cs: put the measured lines back as measured (by default they are the regularised solution's, which denoises them)",
                  setting: nil),
            .init(key: "virtual_coils", flag: "--virtual-coils", python: "virtual_coils", methods: every, acceptsAuto: false,
                  defaultValue: "none (the physical coils)", summary: "SVD coil compression to N virtual coils (fitted on the ACS) before reconstructing; the output keeps the physical coils",
                  setting: .virtualCoils),
            .init(key: "partial_fourier", flag: "--partial-fourier", python: "partial_fourier", methods: every, acceptsAuto: false,
                  defaultValue: ReconstructionSettings().partialFourier.rawValue,
                  summary: "how the never-acquired part of a partial-Fourier acquisition (phase or readout) is completed after the acquired part is reconstructed: zeros (zero filling) or pocs (projections onto convex sets, coil by coil, with the phase of the symmetrically sampled centre)",
                  setting: nil),
        ]
    }()

    /// The description of the setting with JSON key `key`, as a help text (capitalised).
    public static func help(_ key: String) -> String {
        guard let summary = all.first(where: { $0.key == key })?.summary else { preconditionFailure("no setting \(key)") }
        return summary.prefix(1).uppercased() + summary.dropFirst() + "."
    }

    /// The JSON keys.
    public static var keys: Set<String> { Set(all.map(\.key)) }

    /// The JSON keys of a GRAPPA kernel alone (calibration, g-factor).
    public static var grappaKernelKeys: Set<String> {
        Set(all.filter { $0.methods == [.grappa] || $0.key == "lambda" }.map(\.key))
    }

    /// An error's message in the command line's terms: the flag of the setting at fault first,
    /// and what to do about it where the library leaves that to the front end.
    public static func commandLineMessage(_ error: MRIError) -> String {
        guard let setting = error.setting else { return error.message }
        let flag = jobFlags[setting] ?? all.first { $0.setting == setting }?.flag
        return (flag.map { "\($0): " } ?? "") + error.message + (commandLineHints[setting].map { "; \($0)" } ?? "")
    }

    /// The command-line flags of the settings that are not reconstruction settings (those
    /// have theirs in ``all``), and of a scan refused by its model's array.
    public static let jobFlags: [MRIError.Setting: String] = [
        .acceleration: "--accel", .acsLines: "--acs", .mask: "--mask", .slice: "--slice", .kernel: "--kernel",
        .gFactor: "--gfactor", .prewhitening: "--prewhiten", .coilArray: "--model",
    ]

    /// What to do about a refused setting, in the command line's terms.
    static let commandLineHints: [MRIError.Setting: String] = [
        .mask: "give --accel R (with --acs N) or --mask FILE",
        .whiteningRidge: "0 turns whitening off",
        .metaModel: "train one with `metagrappa meta-train` (--accel R; --data FILE… for your own array) and pass it with --model",
        .coilArray: "train one for this scanner with `metagrappa meta-train --data FILE… -o MODEL` and pass it with --model, or pass --allow-other-array to use this one anyway",
        .kernel: "use it with --method grappa",
        .gFactor: "use it with --method grappa and without --virtual-coils",
        .prewhitening: "leave out --prewhiten (or give --no-prewhiten)",
    ]
}
