import GRAPPA
import KSpaceLattice
import MRICore
import NeuralNetwork

/// Meta-GRAPPA reconstruction of one scan ("meta-test"): from the scan's
/// ACS alone, T gate-driven updates take the learner from θ₀ to θ_T (no matrix inverse,
/// no hand-tuned learning rate), then `G_{θ_T}` fills every missing line. Acquired lines
/// are returned as measured.
///
///     let model = try MetaModel(serialized: bytes, source: path)
///     let filled = try MetaGrappa(model: model).reconstruct(k, acquisition)
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
    /// The residual variant's linear-branch regularisation: nil uses the model's own (the
    /// λ_rel it was meta-trained with); ``GRAPPA/GrappaLambda/automatic`` chooses it
    /// for the scan as GRAPPA does.
    public var branchLambda: GrappaLambda? = nil

    /// A reconstructor for `model`.
    public init(model: MetaModel) {
        self.model = model
    }

    /// Checks that `k` acquired as `acquisition` suits the model (coil array, R, ACS) before
    /// any work; `source` names the data in errors.
    public func validate(_ k: KSpace, _ acquisition: Acquisition, source: String = "the k-space") throws {
        try acquisition.requireLines(of: k, source: source)
        let r = acquisition.acceleration, acs = acquisition.autoCalibrationLines
        guard r == model.acceleration else {
            throw MRIError(.invalidArgument,
                           "the meta model is for R=\(model.acceleration) but \(source) is undersampled by R=\(r); a model meta-trained for R=\(r) is needed",
                           setting: .metaModel)
        }
        guard acs.count >= 2 * r + 1 else {
            throw MRIError(.invalidArgument,
                           "ACS of \(acs.count) lines is too small for the meta model at R=\(r): at least \(2 * r + 1) lines are needed",
                           setting: .acsLines)
        }
        try model.array.check(k, acs: acs, source: source, compareFingerprint: !allowOtherArray)
    }

    /// The learner adapted to `k`'s ACS: the problem, θ_T, and the inner loop's trace.
    /// `k` and `acquisition` are those ``validate(_:_:source:)`` accepted.
    public func adapt(_ k: KSpace, _ acquisition: Acquisition, record: Bool = false, truth: KSpace? = nil) throws
        -> (problem: LearnerProblem, theta: [Float], trace: MetaLearnerLSTM.Trace) {
        let problem = try LearnerProblem(scan: k, acquisition, learner: model.learner,
                                         linearBranchLambda: model.linearBranchLambda.map { branchLambda ?? .relative($0) },
                                         acsReadoutWindow: model.acsReadoutWindow, truth: truth)
        var network = model.learner.network(parameters: model.initialParameters)
        let (theta, trace) = model.metaLearner.adapt(model.initialParameters, rule: rule, record: record) { theta in
            network.parameters = theta
            return problem.trainingLoss(&network)
        }
        return (problem, theta, trace)
    }

    /// Fills every missing line of `k` with the learner adapted to its ACS.
    public func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition, source: String = "the k-space") throws -> KSpace {
        try validate(k, acquisition, source: source)
        let (problem, theta, _) = try adapt(k, acquisition)
        return try Self.apply(theta: theta, problem: problem, to: k, acquisition, subtractZeroResponse: subtractZeroResponse)
    }

    /// Applies `G_θ` (plus the linear branch, for the residual variant) to the whole
    /// undersampled k-space, filling the lines `acquisition` does not keep.
    public static func apply(theta: [Float], problem: LearnerProblem, to k: consuming KSpace,
                             _ acquisition: Acquisition, subtractZeroResponse: Bool = true) throws -> KSpace {
        let network = problem.learner.network(parameters: theta)
        var out = k
        if let branch = problem.linearBranch { out = try branch.apply(to: out, acquisition) }
        LatticeLineGeometry.fillMissingLines(&out, with: network, acquisition: acquisition, scale: problem.scale,
                                             add: problem.linearBranch != nil, subtractZeroResponse: subtractZeroResponse)
        return out
    }
}
