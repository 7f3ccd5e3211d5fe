import ArgumentParser
import CoilSensitivity
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
        do { _ = try sampling } catch let error as MRIError { throw ValidationError(SettingCatalog.commandLineMessage(error)) }
    }

    var sampling: SamplingSource { get throws { try SamplingSource(acceleration: accel, acsLines: acs, maskFile: mask) } }
}

/// GRAPPA settings shared by the subcommands that run it.
struct GrappaOptions: ParsableArguments {
    @Option(name: .customLong("kernel-readout"), help: .init(SettingCatalog.help("kernel_readout")))
    var readout: Automatic<Int>?

    @Option(name: .customLong("kernel-lines"), help: .init(SettingCatalog.help("kernel_lines")))
    var lines: Automatic<Int>?

    @Option(help: .init(SettingCatalog.help("lambda")))
    var lambda: Automatic<Double>?

    @Option(help: .init(SettingCatalog.help("solver")))
    var solver: Grappa.Solver = .cholesky

    @Option(name: .customLong("virtual-conjugate"), help: .init(SettingCatalog.help("virtual_conjugate")))
    var virtualConjugate: GrappaVirtualConjugate?

    @Option(name: .customLong("noise-variance"), help: .init(SettingCatalog.help("noise_variance")))
    var noiseVariance: Double?

    func validate() throws {
        do { try grappa.validate() } catch let error as MRIError { throw ValidationError(SettingCatalog.commandLineMessage(error)) }
    }

    var grappa: Grappa {
        let support = GrappaSupport.requested(lines: lines?.value, readout: readout?.value,
                                              eitherAutomatic: lines.map { $0.value == nil } == true || readout.map { $0.value == nil } == true)
        var g = Grappa(support: support, solver: solver)
        if let givenLambda { g.lambda = givenLambda }
        g.noiseVariance = noiseVariance
        if let virtualConjugate { g.virtualConjugate = virtualConjugate }
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
extension GrappaVirtualConjugate: ExpressibleByArgument {}
extension ReconstructionMethod: ExpressibleByArgument {}
extension MetaVariant: ExpressibleByArgument {}
extension CoilCombination: ExpressibleByArgument {}
extension PartialFourierCompletion: ExpressibleByArgument {}

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
    @Option(help: .init(SettingCatalog.help("iterations")))
    var iterations: Int?

    @Option(name: .customLong("learning-rate"), help: .init(SettingCatalog.help("learning_rate")))
    var learningRate = Raki.Options().learningRate

    @Option(help: .init(SettingCatalog.help("seed")))
    var seed = Raki.Options().seed

    @Option(name: .customLong("hidden"), help: .init(SettingCatalog.help("hidden")))
    var hidden = LayerWidths(Raki.Options().hiddenChannels.0, Raki.Options().hiddenChannels.1)

    @Option(name: .customLong("plateau-window"), help: .init(SettingCatalog.help("plateau_window")))
    var plateauWindow = Raki.Options().plateauWindow

    @Option(name: .customLong("whitening-ridge"), help: .init(SettingCatalog.help("whitening_ridge")))
    var whiteningRidge: Float = Raki.Options().whiteningRidge ?? 0

    func validate() throws {
        do { try raki.options.validate() } catch let error as MRIError { throw ValidationError(SettingCatalog.commandLineMessage(error)) }
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

/// Settings of the sparse reconstruction (its λ is --lambda, its iterations --iterations).
struct SparseOptions: ParsableArguments {
    @Flag(name: .customLong("keep-measured"), help: .init(SettingCatalog.help("keep_measured")))
    var keepMeasured = false
}

/// Settings of every method, shared by the subcommands that reconstruct: SVD coil
/// compression, the completion of a partial-Fourier acquisition.
struct MethodIndependentOptions: ParsableArguments {
    @Option(name: .customLong("virtual-coils"), help: .init(SettingCatalog.help("virtual_coils")))
    var virtualCoils: Int?

    @Option(name: .customLong("partial-fourier"), help: .init(SettingCatalog.help("partial_fourier")))
    var partialFourier = ReconstructionSettings().partialFourier
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
    @Option(help: .init(SettingCatalog.help("variant")))
    var variant: MetaVariant = .paper

    @Option(help: .init(SettingCatalog.help("model")))
    var model: String?

    @Flag(name: .customLong("allow-other-array"), help: .init(SettingCatalog.help("allow_other_array")))
    var allowOtherArray = false

    /// The model file given (nil: the shipped model of the variant, chosen for each scan's R).
    func load() throws -> MetaModel? { try model.map(MetaModel.read) }
}

/// The library settings the method flags describe (the meta model is read separately, by
/// ``MetaOptions/load()``, once the cheaper checks have passed).
func reconstructionSettings(method: ReconstructionMethod, grappa: GrappaOptions, raki: RakiOptions, meta: MetaOptions,
                            sparse: SparseOptions, common: MethodIndependentOptions) -> ReconstructionSettings {
    var settings = ReconstructionSettings(method: method)
    settings.grappa = grappa.grappa
    settings.raki = raki.raki
    settings.rakiProgress = Raki.terminalProgress
    settings.virtualCoils = common.virtualCoils
    settings.partialFourier = common.partialFourier
    settings.allowOtherArray = meta.allowOtherArray
    settings.metaVariant = meta.variant
    settings.lambda = grappa.givenLambda
    if let iterations = raki.iterations { settings.sparse.iterations = iterations }
    settings.sparse.keepMeasured = sparse.keepMeasured
    return settings
}
