import Foundation
import CompressedSensing
import GRAPPA
import MetaLearner
import MRICore
import RAKI

/// The reconstruction methods.
public enum ReconstructionMethod: String, CaseIterable, Sendable {
    /// GRAPPA calibrated on each slice (or a given kernel).
    case grappa
    /// RAKI trained on each slice.
    case raki
    /// Meta-GRAPPA with a meta-trained model.
    case meta
    /// SENSE with ESPIRiT maps and l1-wavelet sparsity (``CompressedSensing/SparseSenseReconstruction``).
    case cs

    /// The methods of a comma-separated list such as `grappa,raki`.
    public static func list(_ text: String) throws -> [ReconstructionMethod] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw MRIError(.invalidArgument, "the list of methods is empty") }
        return try names.map { name in
            guard let method = ReconstructionMethod(rawValue: name) else {
                throw MRIError(.invalidArgument, "unknown method '\(name)' (available: \(allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return method
        }
    }
}

/// Everything a reconstruction needs besides the data: the one place where a method and its
/// settings become a ``Reconstructor``. Defaults are the library's (``GRAPPA/Grappa``,
/// ``RAKI/Raki/Options``).
public struct ReconstructionSettings: Sendable {
    /// The method.
    public var method: ReconstructionMethod = .grappa
    /// GRAPPA settings.
    public var grappa = Grappa()
    /// RAKI settings.
    public var raki = Raki()
    /// RAKI training progress (one reporter per slice), if wanted.
    public var rakiProgress: (@Sendable () -> Raki.Progress?)?
    /// The meta model (nil: the shipped model of ``metaVariant`` for each scan's acceleration).
    public var metaModel: MetaModel?
    /// The variant whose shipped model is used when no ``metaModel`` is given.
    public var metaVariant = MetaVariant.paper
    /// Use the meta model on a scan whose coil-array fingerprint does not match it.
    public var allowOtherArray = false
    /// The sparse reconstruction's settings (its λ comes from ``lambda``).
    public var sparse = SparseSenseReconstruction()
    /// λ_rel of every GRAPPA kernel the method fits — GRAPPA's own and the residual meta
    /// variant's linear branch — as the user gave it; nil: each one's default (GRAPPA: chosen
    /// per scan; the residual branch: its model's own). Overrides ``grappa``'s. For `cs`, the
    /// sparsity weight relative to the data's intensity (nil or automatic: chosen per scan).
    public var lambda: GrappaLambda?
    /// A GRAPPA kernel to apply instead of calibrating on each slice (GRAPPA only), and the
    /// name of its file for errors.
    public var kernel: (kernel: GrappaKernel, source: String)?
    /// Reconstruct this many SVD virtual coils (nil: the physical coils).
    public var virtualCoils: Int?
    /// How a partial-Fourier acquisition's never-acquired part is completed.
    public var partialFourier = PartialFourierCompletion.zeros
    /// Whether the coils are prewhitened with the noise data the input carries.
    public var prewhitening = Prewhitening.whenNoiseRecorded
    /// Names the data in errors.
    public var source = "the k-space"

    /// When to prewhiten the coils (``PrewhitenedReconstructor``).
    public enum Prewhitening: String, Sendable, CaseIterable {
        /// When the input carries noise data (Siemens noise-adjust scans, ISMRMRD noise
        /// acquisitions) and no kernel file is given (a kernel file holds physical coils).
        case whenNoiseRecorded
        /// Never.
        case off
        /// Always: an input without noise data is refused.
        case required
    }

    /// Default settings for `method`.
    public init(method: ReconstructionMethod = .grappa) {
        self.method = method
    }

    /// GRAPPA as it runs: ``grappa`` with ``lambda`` applied.
    public var effectiveGrappa: Grappa {
        var g = grappa
        if let lambda { g.lambda = lambda }
        return g
    }

    /// The sparse reconstruction as it runs: ``sparse`` with ``lambda`` applied.
    public var effectiveSparse: SparseSenseReconstruction {
        var r = sparse
        r.noiseVariance = r.noiseVariance ?? grappa.noiseVariance
        switch lambda {
        case nil, .automatic?: r.lambda = .automatic
        case let .relative(value)?: r.lambda = .relative(Float(value))
        }
        return r
    }

    /// Throws a clear error for settings that contradict each other or are out of range.
    public func validate() throws {
        switch method {
        case .grappa: try effectiveGrappa.validate()
        case .raki: try raki.options.validate()
        case .meta: break  // the model is checked against each slice
        case .cs: try effectiveSparse.validate()
        }
        if kernel != nil && method != .grappa {
            throw MRIError(.invalidArgument, "a given GRAPPA kernel cannot be used with \(method.rawValue)", setting: .kernel)
        }
        if kernel != nil && prewhitening == .required {
            throw MRIError(.invalidArgument, "a given GRAPPA kernel works on the physical coils: it cannot be applied to prewhitened coils",
                           setting: .prewhitening)
        }
        if let n = virtualCoils {
            guard n >= 1 else {
                throw MRIError(.invalidArgument, "the number of virtual coils must be at least 1, found \(n)", setting: .virtualCoils)
            }
            if kernel != nil {
                throw MRIError(.invalidArgument, "a given GRAPPA kernel works on physical coils: it cannot be combined with coil compression",
                               setting: .virtualCoils)
            }
        }
    }

    /// Whether noise data should be looked for (and, if ``Prewhitening/required``, found).
    public var usesNoise: Bool {
        prewhitening == .required || prewhitening == .whenNoiseRecorded && kernel == nil
    }

    /// The reconstructor these settings describe (validated first), on coils whitened by
    /// `whitening` if given.
    public func reconstructor(whitening: CoilWhitening?) throws -> any Reconstructor {
        let base = try reconstructor()
        return whitening.map { PrewhitenedReconstructor(base, whitening: $0) } ?? base
    }

    /// The reconstructor these settings describe (validated first), on the coils as given;
    /// it runs on each slice scaled to unit intensity (``ScaleNormalizedReconstructor``), on
    /// the lines a partial-Fourier acquisition covers (``PartialFourierReconstructor``).
    public func reconstructor() throws -> any Reconstructor {
        try validate()
        return PartialFourierReconstructor(inner: ScaleNormalizedReconstructor(settings: self, unscaled: try methodReconstructor()),
                                           completion: partialFourier)
    }

    /// These settings with a known noise variance (GRAPPA's, the sparse reconstruction's)
    /// expressed in the units of data scaled by `scale`.
    func normalized(by scale: IntensityScale) -> ReconstructionSettings {
        var s = self
        s.grappa.noiseVariance = s.grappa.noiseVariance.map(scale.normalizedVariance)
        s.sparse.noiseVariance = s.sparse.noiseVariance.map(scale.normalizedVariance)
        return s
    }

    /// The method's reconstructor, at the data's own scale.
    func methodReconstructor() throws -> any Reconstructor {
        let method: any Reconstructor
        switch self.method {
        case .grappa:
            if let (kernel, source) = kernel {
                method = KernelReconstructor(kernel: kernel, source: source)
            } else {
                method = GrappaReconstructor(effectiveGrappa)
            }
        case .raki: method = RakiReconstructor(raki, progress: rakiProgress)
        case .meta:
            var meta = MetaReconstructor(model: metaModel.map { .given($0) } ?? .shipped(metaVariant),
                                         allowOtherArray: allowOtherArray, source: source)
            meta.branchLambda = lambda
            method = meta
        // The sparse reconstruction compresses its coils itself (after measuring their noise).
        case .cs: return SparseSenseReconstructor(effectiveSparse, virtualCoils: virtualCoils)
        }
        return virtualCoils.map { CoilCompressedReconstructor(method, virtualCoils: $0) } ?? method
    }
}
