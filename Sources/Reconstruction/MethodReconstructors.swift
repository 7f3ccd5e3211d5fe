import CompressedSensing
import Compute
import GRAPPA
import MetaLearner
import MRICore
import RAKI

/// GRAPPA calibrated on each slice's ACS.
public struct GrappaReconstructor: Reconstructor {
    /// Kernel shape, regularisation and solver.
    public var grappa: Grappa

    /// A reconstructor with these GRAPPA settings.
    public init(_ grappa: Grappa = Grappa()) {
        self.grappa = grappa
    }

    public func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult {
        let t0 = Stopwatch()
        let kernel = try grappa.calibrate(k, acquisition)
        let (calibration, t1) = (t0.seconds, Stopwatch())
        let out = try kernel.apply(to: consume k, acquisition)
        return ReconstructionResult(kspace: out, timings: StageTimings(calibration: calibration, application: t1.seconds),
                                    grappaKernel: kernel)
    }
}

/// A GRAPPA kernel calibrated once (``GrappaKernel``), applied to every slice.
public struct KernelReconstructor: Reconstructor {
    /// The kernel.
    public let kernel: GrappaKernel
    /// Names the kernel in errors (its file, say).
    public var source: String

    /// A reconstructor applying `kernel`.
    public init(kernel: GrappaKernel, source: String = "the kernel") {
        self.kernel = kernel
        self.source = source
    }

    public func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult {
        let t = Stopwatch()
        let out = try kernel.apply(to: consume k, acquisition, source: source)
        return ReconstructionResult(kspace: out, timings: StageTimings(application: t.seconds), grappaKernel: kernel)
    }
}

/// RAKI trained on each slice's ACS.
public struct RakiReconstructor: Reconstructor {
    /// Training settings.
    public var raki: Raki
    /// Training progress, if wanted.
    public var progress: (@Sendable () -> Raki.Progress?)?

    /// A reconstructor with these RAKI settings; `progress` makes one reporter per slice.
    public init(_ raki: Raki = Raki(), progress: (@Sendable () -> Raki.Progress?)? = nil) {
        self.raki = raki
        self.progress = progress
    }

    public func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult {
        let t0 = Stopwatch()
        let model = try raki.train(k, acquisition, progress: progress?())
        let (training, t1) = (t0.seconds, Stopwatch())
        let out = try model.apply(to: consume k, acquisition)
        return ReconstructionResult(kspace: out, timings: StageTimings(calibration: training, application: t1.seconds))
    }
}

/// Meta-GRAPPA: the learner adapted to each slice's ACS by the model's T steps, with a given
/// model or with the shipped model of a variant for each scan's acceleration.
public struct MetaReconstructor: Reconstructor {
    /// Where the model comes from.
    public enum Model: Sendable {
        /// This model, whatever the scan.
        case given(MetaModel)
        /// The shipped model of the variant for the scan's acceleration (an error names the
        /// accelerations that have one).
        case shipped(MetaVariant)
    }

    /// The model.
    public var model: Model
    /// Use the model on a scan whose coil-array fingerprint does not match it.
    public var allowOtherArray: Bool
    /// The residual variant's linear-branch regularisation (nil: the model's own).
    public var branchLambda: GrappaLambda?
    /// Names the data in errors.
    public var source: String

    /// A reconstructor with `model`; `allowOtherArray` waives the coil-array fingerprint check.
    public init(model: Model, allowOtherArray: Bool = false, source: String = "the k-space") {
        self.model = model
        self.allowOtherArray = allowOtherArray
        self.source = source
    }

    /// The Meta-GRAPPA reconstruction this reconstructor runs on a scan acquired as `acquisition`.
    public func metaGrappa(for acquisition: Acquisition) throws -> MetaGrappa {
        let chosen: MetaModel = switch model {
        case let .given(m): m
        case let .shipped(variant): try ShippedModels.require(variant, acceleration: acquisition.acceleration)
        }
        var meta = MetaGrappa(model: chosen)
        meta.allowOtherArray = allowOtherArray
        meta.branchLambda = branchLambda
        return meta
    }

    public func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult {
        let t0 = Stopwatch()
        let meta = try metaGrappa(for: acquisition)
        try meta.validate(k, acquisition, source: source)
        let (problem, theta, _) = try meta.adapt(k, acquisition)
        let (adaptation, t1) = (t0.seconds, Stopwatch())
        let out = try MetaGrappa.apply(theta: theta, problem: problem, to: consume k, acquisition,
                                       subtractZeroResponse: meta.subtractZeroResponse)
        return ReconstructionResult(kspace: out, timings: StageTimings(calibration: adaptation, application: t1.seconds))
    }
}

/// Any reconstructor run on SVD virtual coils fitted on the ACS; the result is expanded back
/// to the physical coils and the measured lines are put back as measured, with all of
/// their signal.
public struct CoilCompressedReconstructor: Reconstructor {
    /// The reconstructor of the virtual coils.
    public let inner: any Reconstructor
    /// Virtual coils kept.
    public let virtualCoils: Int

    /// `inner` run on `virtualCoils` virtual coils.
    public init(_ inner: any Reconstructor, virtualCoils: Int) {
        self.inner = inner
        self.virtualCoils = virtualCoils
    }

    public var replacesMeasuredLines: Bool { inner.replacesMeasuredLines }

    public func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult {
        var compression: CoilCompression?
        return try reconstructInOtherCoils(k, acquisition, inner: inner, forward: { measured in
            let fitted = try CoilCompression(fitting: measured, lines: acquisition.autoCalibrationLines, virtualCoils: virtualCoils)
            compression = fitted
            return fitted.compress(measured)
        }, backward: { compression!.expand($0) })
    }
}

/// Any reconstructor run on noise-prewhitened coils (``MRICore/CoilWhitening``): the slice is
/// whitened, reconstructed, and mapped back to the physical coils, measured lines as measured.
public struct PrewhitenedReconstructor: Reconstructor {
    /// The reconstructor of the whitened coils.
    public let inner: any Reconstructor
    /// The whitening, from the scan's noise data.
    public let whitening: CoilWhitening

    /// `inner` run on coils whitened by `whitening`.
    public init(_ inner: any Reconstructor, whitening: CoilWhitening) {
        self.inner = inner
        self.whitening = whitening
    }

    public var replacesMeasuredLines: Bool { inner.replacesMeasuredLines }

    public func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult {
        try reconstructInOtherCoils(k, acquisition, inner: inner, forward: whitening.whitened, backward: whitening.unwhitened)
    }
}

/// `inner` run on the coils `forward` maps `measured` to (its time counted as calibration),
/// the result mapped back by `backward` (counted as application), measured lines as measured.
private func reconstructInOtherCoils(_ k: consuming KSpace, _ acquisition: Acquisition, inner: any Reconstructor,
                                     forward: (KSpace) throws -> KSpace,
                                     backward: (KSpace) throws -> KSpace) throws -> ReconstructionResult {
    let t0 = Stopwatch()
    let measured = consume k
    let transformed = try forward(measured)
    let mapping = t0.seconds
    var result = try inner.reconstruct(transformed, acquisition)
    let t1 = Stopwatch()
    var out = try backward(result.kspace)
    if !inner.replacesMeasuredLines { acquisition.restoreKeptLines(of: measured, into: &out) }
    result.kspace = out
    result.timings = result.timings + StageTimings(calibration: mapping, application: t1.seconds)
    return result
}

/// SENSE with l1-wavelet sparsity on each slice (maps from its ACS), on `virtualCoils` SVD
/// virtual coils if given, else on the coils as given up to
/// ``SparseSenseReconstruction/largestCoilCount`` (more are compressed to that many).
public struct SparseSenseReconstructor: Reconstructor {
    public var sparse: SparseSenseReconstruction
    public var virtualCoils: Int?

    public init(_ sparse: SparseSenseReconstruction = SparseSenseReconstruction(), virtualCoils: Int? = nil) {
        self.sparse = sparse
        self.virtualCoils = virtualCoils
    }

    public var replacesMeasuredLines: Bool { !sparse.keepMeasured }

    public func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult {
        var solve = SparseSolve(sparse: sparse)
        // The automatic λ needs the noise level of the coils as given: compression drops
        // noise-only components and would bias the estimate, so it is measured first.
        if sparse.lambda == .automatic, sparse.noiseVariance == nil {
            solve.sparse.noiseVariance = try Grappa.noiseVariance(of: k, acquisition)
        }
        let largest = SparseSenseReconstruction.largestCoilCount
        guard let n = virtualCoils ?? (k.coils > largest ? largest : nil) else { return try solve.reconstruct(k, acquisition) }
        return try CoilCompressedReconstructor(solve, virtualCoils: n).reconstruct(k, acquisition)
    }
}

/// One sparse reconstruction of the coils it is given.
private struct SparseSolve: Reconstructor {
    var sparse: SparseSenseReconstruction

    var replacesMeasuredLines: Bool { !sparse.keepMeasured }

    func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult {
        let t = Stopwatch()
        let result = try sparse.reconstruct(k, acquisition)
        return ReconstructionResult(kspace: result.kspace, timings: StageTimings(calibration: result.seconds.maps, application: t.seconds - result.seconds.maps),
                                    sparseLambda: result.relativeLambda)
    }
}
