import ArgumentParser
import Compute
import Foundation
import GRAPPA
import MetaLearner
import MRICore
import RAKI
import Reconstruction

/// How the input was (or is to be) undersampled: `--accel R --acs N` or `--mask FILE`.
struct AcquisitionOptions: ParsableArguments {
    @Option(help: "Undersample the (fully sampled) input by R: keep lines with (ky − ny/2) mod R == 0 plus the ACS block.")
    var accel: Int?

    @Option(help: "Number of centred, fully sampled ACS lines kept with --accel (default \(SamplingSource.defaultACSLines)).")
    var acs: Int?

    @Option(help: "1-D ky mask (.npy bool/uint8): the input is the acquired data.")
    var mask: String?

    func validate() throws {
        if mask != nil && (accel != nil || acs != nil) {
            throw ValidationError("give either --mask or --accel/--acs, not both")
        }
        if acs != nil && accel == nil { throw ValidationError("--acs needs --accel R") }
    }

    var sampling: SamplingSource {
        if let mask { return .maskFile(mask) }
        if let accel { return .uniform(acceleration: accel, acsLines: acs ?? SamplingSource.defaultACSLines) }
        return .recordedInFile
    }
}

/// GRAPPA settings shared by the subcommands that run it.
struct GrappaOptions: ParsableArguments {
    @Option(name: .customLong("kernel-readout"),
            help: "GRAPPA kernel width along the readout (odd), or auto. Default: the support chosen per scan (docs/grappa.md); one size given alone takes the classic value (5 readout, 4 lines) for the other.")
    var readout: Automatic<Int>?

    @Option(name: .customLong("kernel-lines"),
            help: "Number of measured source lines in the GRAPPA kernel, or auto (either size auto chooses both).")
    var lines: Automatic<Int>?

    @Option(help: "Relative Tikhonov regularisation λ_rel (λ = λ_rel · trace(AᴴA)/unknowns), or auto. Default: chosen per scan; for Meta-GRAPPA's residual branch, the λ_rel its model was meta-trained with. The classic fixed value is \(Grappa.defaultLambda).")
    var lambda: Automatic<Double>?

    @Option(help: "Calibration solver: cholesky (fast) or qr (for checking).")
    var solver: Grappa.Solver = .cholesky

    @Option(name: .customLong("noise-variance"),
            help: "Noise variance of one k-space sample of one coil (mean over the coils), where known, e.g. from a separate noise scan scaled to the readout's bandwidth: the automatic λ uses it instead of its own estimate. Default: from the input's noise data where the file says how they relate to its imaging samples (ISMRMRD), else estimated from the scan.")
    var noiseVariance: Double?

    func validate() throws {
        do { try grappa.validate() } catch let error as MRIError { throw ValidationError(error.commandLineMessage) }
    }

    var grappa: Grappa {
        let support = GrappaSupport.requested(lines: lines?.value, readout: readout?.value,
                                              eitherAutomatic: lines.map { $0.value == nil } == true || readout.map { $0.value == nil } == true)
        var g = Grappa(support: support, solver: solver)
        if let givenLambda { g.lambda = givenLambda }
        g.noiseVariance = noiseVariance
        return g
    }

    /// The regularisation `--lambda` gives, nil without it (GRAPPA then uses its default, the
    /// residual Meta-GRAPPA branch its model's own).
    var givenLambda: GrappaLambda? {
        lambda.map { $0.value.map { .relative($0) } ?? .automatic }
    }
}

/// A number, or `auto` for the library's per-scan choice.
enum Automatic<Value: LosslessStringConvertible & Sendable>: ExpressibleByArgument, Sendable {
    case automatic
    case given(Value)

    init?(argument: String) {
        if argument == "auto" { self = .automatic; return }
        guard let value = Value(argument) else { return nil }
        self = .given(value)
    }

    var value: Value? { if case let .given(v) = self { v } else { nil } }
    var defaultValueDescription: String { value.map { "\($0)" } ?? "auto" }
}

extension Grappa.Solver: ExpressibleByArgument {}
extension ReconstructionMethod: ExpressibleByArgument {}
extension MetaVariant: ExpressibleByArgument {}

/// Two layer widths given as `A,B`.
struct LayerWidths: ExpressibleByArgument {
    let first: Int, second: Int

    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1] else { return nil }
        (first, second) = (a, b)
    }

    init(_ first: Int, _ second: Int) { (self.first, self.second) = (first, second) }

    var defaultValueDescription: String { "\(first),\(second)" }
}

/// RAKI settings shared by the subcommands that run it.
struct RakiOptions: ParsableArguments {
    @Option(help: "RAKI: most Adam iterations (training stops earlier on a loss plateau). Default: from the scan's shape, as many as fit ~22 s of arithmetic on 2 cores (100…1500).")
    var iterations: Int?

    @Option(name: .customLong("learning-rate"), help: "RAKI: Adam learning rate.")
    var learningRate = Raki.Options().learningRate

    @Option(help: "RAKI: seed of the initial weights (same seed, same result).")
    var seed = Raki.Options().seed

    @Option(name: .customLong("hidden"), help: "RAKI: channels of the two hidden layers, as A,B.")
    var hidden = LayerWidths(Raki.Options().hiddenChannels.0, Raki.Options().hiddenChannels.1)

    @Option(name: .customLong("plateau-window"),
            help: "RAKI: stop when the loss has not improved by 0.1 % over this many iterations.")
    var plateauWindow = Raki.Options().plateauWindow

    @Option(name: .customLong("whitening-ridge"),
            help: "RAKI: relative ridge of the first layer's input whitening (0 trains on the raw input).")
    var whiteningRidge: Float = Raki.Options().whiteningRidge ?? 0

    func validate() throws {
        do { try raki.options.validate() } catch let error as MRIError { throw ValidationError(error.commandLineMessage) }
    }

    var raki: Raki {
        var o = Raki.Options()
        o.iterations = iterations
        o.learningRate = learningRate
        o.seed = seed
        o.plateauWindow = plateauWindow
        o.whiteningRidge = whiteningRidge == 0 ? nil : whiteningRidge
        o.hiddenChannels = (hidden.first, hidden.second)
        return Raki(options: o)
    }
}

/// SVD coil compression, shared by the subcommands that reconstruct.
struct CoilCompressionOptions: ParsableArguments {
    @Option(name: .customLong("virtual-coils"),
            help: "Compress to N SVD virtual coils (fitted on the ACS) before reconstructing; the output keeps the physical coils.")
    var virtualCoils: Int?
}

/// Noise prewhitening of the coils.
struct PrewhiteningOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo,
          help: "Prewhiten the coils with the input's noise data (Siemens noise-adjust scans, ISMRMRD noise acquisitions) before calibrating; the output is mapped back to the physical coils. Default: on when the input has noise data and no --kernel is given.")
    var prewhiten: Bool?

    var prewhitening: ReconstructionSettings.Prewhitening {
        prewhiten.map { $0 ? .required : .off } ?? .whenNoiseRecorded
    }
}

/// Options of the meta-learned reconstruction.
struct MetaOptions: ParsableArguments {
    @Option(help: "Meta: variant, paper (the published method) or residual (per-scan linear branch + meta-adapted learner).")
    var variant: MetaVariant = .paper

    @Option(help: "Meta: model file from `metagrappa meta-train` (default: the shipped model of the variant for the paper's 32-coil array at the scan's R: 4, 5 or 6).")
    var model: String?

    @Flag(name: .customLong("allow-other-array"),
          help: "Meta: use the model even if the scan's coil-correlation fingerprint does not match its array (same coil count).")
    var allowOtherArray = false

    /// The model file given (nil: the shipped model of the variant, chosen for each scan's R).
    func load() throws -> MetaModel? { try model.map(MetaModel.read) }
}

/// The library settings the method flags describe (the meta model is read separately, by
/// ``MetaOptions/load()``, once the cheaper checks have passed).
func reconstructionSettings(method: ReconstructionMethod, grappa: GrappaOptions, raki: RakiOptions, meta: MetaOptions,
                            coils: CoilCompressionOptions) -> ReconstructionSettings {
    var settings = ReconstructionSettings(method: method)
    settings.grappa = grappa.grappa
    settings.raki = raki.raki
    settings.rakiProgress = { TrainingProgress.reporter() }
    settings.virtualCoils = coils.virtualCoils
    settings.allowOtherArray = meta.allowOtherArray
    settings.metaVariant = meta.variant
    settings.lambda = grappa.givenLambda
    return settings
}

/// Training progress on stderr (iteration, loss, ETA), only when stderr is a terminal.
enum TrainingProgress {
    static func reporter() -> Raki.Progress? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        let clock = Stopwatch()
        return { iteration, maxIterations, loss, done in
            guard iteration % 10 == 0 || done else { return }
            let elapsed = clock.seconds
            // An upper bound: a loss plateau may end training earlier.
            let eta = elapsed / Double(iteration) * Double(maxIterations - iteration)
            let line = done
                ? String(format: "\rRAKI %d iterations, loss %.3e, %.1f s            \n", iteration, loss, elapsed)
                : String(format: "\rRAKI iteration %d/%d  loss %.3e  ETA ≤ %.0f s ", iteration, maxIterations, loss, eta)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}
