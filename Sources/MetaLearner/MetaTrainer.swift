import Foundation
import GRAPPA
import MRICore
import NeuralNetwork

/// Meta-training: for each task, T updates on its ACS, then one Adam step
/// on Φ = {θ₀, gates} along the gradient of `L_train(θ_T) + L_test(θ_T)`, back-propagated
/// by hand through the unrolled updates (first order), with gradient-norm clipping.
/// The whole state is a value (``State``), so a run can be checkpointed and resumed
/// exactly.
public struct MetaTrainer: Sendable {
    /// Settings (each chosen by measurement; BENCHMARKS.md).
    public struct Options: Sendable, Codable, Equatable {
        /// Variant to train.
        public var variant: MetaVariant = .paper
        /// Acceleration.
        public var acceleration = 4
        /// Learner hidden widths.
        public var hiddenChannels = [32, 8]
        /// Inner steps T.
        public var steps = 5
        /// Initial gate biases (forget, input, momentum).
        public var gateBiases: [Float] = [5, -7, -3]
        /// Adam step for θ₀.
        public var thetaLearningRate: Float = 1e-3
        /// Adam step for the gate parameters.
        public var gateLearningRate: Float = 1e-2
        /// Gradient-norm clip of the whole meta-gradient.
        public var clipNorm: Float = 1
        /// Relative Tikhonov weight of the residual variant's linear branch (GRAPPA's classic λ_rel).
        public var linearBranchLambda = Grappa.defaultLambda
        /// Central ACS readout samples in `L_train` (nil: all); see ``LearnerProblem``.
        public var acsReadoutWindow: Int? = 128
        /// Seed of θ₀'s initial weights and of the task stream.
        public var seed: UInt64 = 1

        /// Default settings.
        public init() {}

        /// Throws a clear error for out-of-range settings.
        public func validate() throws {
            guard hiddenChannels.count == 2, hiddenChannels.allSatisfy({ (1...1024).contains($0) }) else {
                throw MRIError(.invalidArgument, "the learner's two hidden layers must have 1…1024 channels each, found \(hiddenChannels)",
                               setting: .hiddenChannels)
            }
            guard (2...8).contains(acceleration), (1...100).contains(steps), gateBiases.count == 3,
                  thetaLearningRate > 0, gateLearningRate > 0, clipNorm > 0, linearBranchLambda >= 0,
                  (acsReadoutWindow ?? 1) >= 1 else {
                throw MRIError(.invalidArgument,
                               "meta-training settings out of range: R 2…8, T 1…100, two hidden widths 1…1024, positive learning rates, clip and ACS readout window")
            }
        }
    }

    /// Everything a run needs to continue exactly where it stopped.
    public struct State: Sendable, Codable {
        /// Meta-iterations done.
        public var iteration = 0
        /// Current θ₀ and gates.
        public var theta0: [Float]
        public var gates: [Float]
        var thetaOptimizer: Adam
        var gateOptimizer: Adam
        /// Best validation NRMSE so far (nil before the first), its iteration, and Φ then.
        public var bestValidation: Double?
        public var bestIteration = 0
        public var bestTheta0: [Float]
        public var bestGates: [Float]
        /// Validations since the best one.
        public var validationsSinceBest = 0
        /// The iteration of the last recorded validation (nil before the first): a run
        /// resumed from a checkpoint written just before a validation runs it first.
        public var lastValidatedIteration: Int?
        /// Seconds of meta-training so far (over resumes).
        public var seconds = 0.0
    }

    /// Settings of the run.
    public let options: Options
    /// The learner.
    public let learner: LearnerCNN
    /// The run's state.
    public var state: State

    /// A new run for `coils` coils.
    public init(options: Options, coils: Int) throws {
        try options.validate()
        self.options = options
        learner = try LearnerCNN(coils: coils, acceleration: options.acceleration, hiddenChannels: options.hiddenChannels)
        var theta = learner.network(seed: options.seed).parameters
        if options.variant == .residual {
            // The residual learner starts at zero output, so the untrained model is exactly
            // its linear branch (GRAPPA over the learner's support) and training departs from there.
            let network = learner.network(seed: options.seed)
            for i in network.offsets[2]..<theta.count { theta[i] = 0 }
        }
        let b = options.gateBiases
        let gates = MetaLearnerLSTM(steps: options.steps, forgetBias: b[0], inputBias: b[1], momentumBias: b[2]).gates
        state = State(theta0: theta, gates: gates,
                      thetaOptimizer: Adam(count: theta.count, learningRate: options.thetaLearningRate),
                      gateOptimizer: Adam(count: gates.count, learningRate: options.gateLearningRate),
                      bestTheta0: theta, bestGates: gates)
    }

    /// Resumes a run from a checkpointed state (checked against the settings).
    public init(options: Options, coils: Int, state: State) throws {
        try self.init(options: options, coils: coils)
        guard state.theta0.count == learner.parameterCount, state.gates.count == 3 * MetaLearnerLSTM.gateSize else {
            throw MRIError(.format, "checkpoint does not match the learner (θ of \(state.theta0.count), expected \(learner.parameterCount))")
        }
        self.state = state
    }

    /// The model with the current (`best: false`) or best-by-validation Φ.
    public func model(array: CoilArrayProfile, best: Bool, provenance: [String: String] = [:]) throws -> MetaModel {
        try MetaModel(variant: options.variant, learner: learner,
                      metaLearner: MetaLearnerLSTM(steps: options.steps, gates: best ? state.bestGates : state.gates),
                      initialParameters: best ? state.bestTheta0 : state.theta0, array: array,
                      linearBranchLambda: options.variant == .residual ? options.linearBranchLambda : nil,
                      acsReadoutWindow: options.acsReadoutWindow, provenance: provenance)
    }

    /// The meta-objective `L_train(θ_T) + L_test(θ_T)` for one task and its gradient with
    /// respect to (θ₀, gates). `scan` is fully sampled; it is undersampled as `acquisition`.
    public func metaGradient(scan: KSpace, _ acquisition: Acquisition, theta0: [Float], gates: [Float]) throws
        -> (loss: Float, trainLoss: Float, theta0: [Float], gates: [Float]) {
        let problem = try LearnerProblem(scan: scan, acquisition, learner: learner,
                                         linearBranchLambda: options.variant == .residual
                                             ? .relative(options.linearBranchLambda) : nil,
                                         acsReadoutWindow: options.acsReadoutWindow, truth: scan)
        let lstm = MetaLearnerLSTM(steps: options.steps, gates: gates)
        var network = learner.network(parameters: theta0)
        let (theta, trace) = lstm.adapt(theta0, record: true) { theta in
            network.parameters = theta
            return problem.trainingLoss(&network)
        }
        network.parameters = theta
        let (train, gTrain) = problem.trainingLoss(&network)
        let (test, gTest) = problem.testLoss(&network)
        let (d0, dGates) = lstm.backward(trace, thetaGradient: zip(gTrain, gTest).map { $0 + $1 })
        return (train + test, train, d0, dGates)
    }

    /// One meta-iteration on one task: returns the meta-loss (before the update).
    public mutating func step(scan: KSpace, _ acquisition: Acquisition) throws -> Float {
        let (loss, _, d0, dGates) = try metaGradient(scan: scan, acquisition, theta0: state.theta0, gates: state.gates)
        guard loss.isFinite, d0.allSatisfy(\.isFinite), dGates.allSatisfy(\.isFinite) else {
            throw MRIError(.numerical,
                           "meta-training diverged at iteration \(state.iteration + 1) (non-finite meta-loss); lower the input-gate bias or the learning rates")
        }
        var norm = 0.0
        for v in d0 { norm += Double(v * v) }
        for v in dGates { norm += Double(v * v) }
        let clip = Float(min(1, Double(options.clipNorm) / max(norm.squareRoot(), 1e-30)))
        state.thetaOptimizer.update(&state.theta0, gradient: d0.map { $0 * clip })
        state.gateOptimizer.update(&state.gates, gradient: dGates.map { $0 * clip })
        state.iteration += 1
        return loss
    }

    /// Records a validation result; returns whether it is the best so far (Φ kept then).
    public mutating func recordValidation(_ nrmse: Double) -> Bool {
        state.lastValidatedIteration = state.iteration
        guard nrmse < state.bestValidation ?? .infinity else {
            state.validationsSinceBest += 1
            return false
        }
        state.bestValidation = nrmse
        state.bestIteration = state.iteration
        state.bestTheta0 = state.theta0
        state.bestGates = state.gates
        state.validationsSinceBest = 0
        return true
    }
}
