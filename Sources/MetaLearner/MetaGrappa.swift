import MRICore
import NeuralNetwork
import RAKI

/// Meta-GRAPPA reconstruction of one scan (METHOD.md §5, "meta-test"): from the scan's
/// ACS alone, T gate-driven updates take the learner from θ₀ to θ_T (no matrix inverse,
/// no hand-tuned learning rate), then `G_{θ_T}` fills every missing line. Acquired lines
/// are returned as measured.
///
///     let model = try MetaModel(serialized: bytes, source: path)
///     let filled = try MetaGrappa(model: model).reconstruct(k, mask: mask)
public struct MetaGrappa: Sendable {
    /// The meta-trained model.
    public let model: MetaModel
    /// The update rule of the T steps (the learned gates; plain gradient descent for ablations).
    public var rule: MetaLearnerLSTM.UpdateRule = .learned
    /// Use the model on a scan whose coil-correlation fingerprint does not match its
    /// array (the coil count must still match). For arrays the fingerprint cannot tell
    /// apart from the model's, or anatomy unlike the training scans'.
    public var allowOtherArray = false
    /// Subtract the adapted learner's answer to zero data from its estimates (see
    /// ``ConvNet/zeroResponse()``); chosen on the validation slices
    /// (BENCHMARKS.md: `paper` 0.0428 → 0.0369 at high SNR, `residual` level).
    public var subtractZeroResponse = true

    /// A reconstructor for `model`.
    public init(model: MetaModel) {
        self.model = model
    }

    /// Checks that `k` and `mask` suit the model (coil array, R, ACS) before any work.
    public func validate(_ k: KSpace, mask: SamplingMask, source: String = "the k-space") throws {
        guard mask.ny == k.ny else {
            throw MRIError(.invalidArgument, "mask has \(mask.ny) lines but \(source) has \(k.ny)")
        }
        let r = try mask.lattice().acceleration
        guard r == model.acceleration else {
            throw MRIError(.invalidArgument,
                           "the meta model is for R=\(model.acceleration) but the mask of \(source) has R=\(r); train one for R=\(r) with `metagrappa meta-train --accel \(r)`")
        }
        guard let acs = mask.autoCalibrationRegion(), acs.count >= 2 * r + 1 else {
            throw MRIError(.invalidArgument,
                           "ACS of \(mask.autoCalibrationRegion()?.count ?? 0) lines is too small for the meta model at R=\(r): at least \(2 * r + 1) lines are needed")
        }
        try model.array.check(k, acs: acs, source: source, compareFingerprint: !allowOtherArray)
    }

    /// The learner adapted to `k`'s ACS: the problem, θ_T, and the inner loop's trace.
    public func adapt(_ k: KSpace, mask: SamplingMask, record: Bool = false, truth: KSpace? = nil) throws
        -> (problem: LearnerProblem, theta: [Float], trace: MetaLearnerLSTM.Trace) {
        let problem = try LearnerProblem(scan: k, mask: mask, learner: model.learner,
                                         linearBranchRegularization: model.linearBranchRegularization,
                                         acsReadoutWindow: model.acsReadoutWindow, truth: truth)
        var network = model.learner.network(parameters: model.initialParameters)
        let (theta, trace) = model.metaLearner.adapt(model.initialParameters, rule: rule, record: record) { theta in
            network.parameters = theta
            return problem.trainingLoss(&network)
        }
        return (problem, theta, trace)
    }

    /// Fills every missing line of `k` with the learner adapted to its ACS.
    public func reconstruct(_ k: consuming KSpace, mask: SamplingMask, source: String = "the k-space") throws -> KSpace {
        try validate(k, mask: mask, source: source)
        let (problem, theta, _) = try adapt(k, mask: mask)
        return try Self.apply(theta: theta, problem: problem, to: k, mask: mask, subtractZeroResponse: subtractZeroResponse)
    }

    /// Applies `G_θ` (plus the linear branch, for the residual variant) to the whole
    /// undersampled k-space, filling the lines `mask` does not hold (a mask without the
    /// ACS block makes it estimate the ACS lines too).
    public static func apply(theta: [Float], problem: LearnerProblem, to k: consuming KSpace,
                             mask: SamplingMask, subtractZeroResponse: Bool = true) throws -> KSpace {
        let network = problem.learner.network(parameters: theta)
        let lattice = try mask.lattice()
        var out = k
        if let branch = problem.linearBranch { out = try branch.apply(to: out, mask: mask) }
        LatticeLineGeometry.fillMissingLines(&out, with: network, lattice: lattice, mask: mask, scale: problem.scale,
                                             add: problem.linearBranch != nil, subtractZeroResponse: subtractZeroResponse)
        return out
    }
}
