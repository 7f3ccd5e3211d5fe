import Compute
import Foundation
import MetaLearner
import MRICore
import MRIIO

/// A whole meta-training run around ``MetaLearner/MetaTrainer``: tasks, the schedule of
/// validations and checkpoints, early stopping, the coil-array profile, and the best model
/// written atomically whenever validation improves. The library call behind
/// `metagrappa meta-train`; a run stopped at any point continues exactly with `resume`.
public struct MetaTrainingRun {
    /// When to validate, checkpoint and stop.
    public struct Schedule: Sendable, Equatable {
        /// Most meta-iterations (one task each).
        public var iterations = 1500
        /// Validate (and checkpoint) every this many meta-iterations.
        public var validateEvery = 50
        /// Also checkpoint every this many meta-iterations between validations.
        public var checkpointEvery = 25
        /// Stop after this many validations without improvement.
        public var patience = 8
        /// ACS lines of every task.
        public var acsLines = 32

        /// The default schedule.
        public init() {}

        /// Throws a clear error for a schedule that cannot run.
        public func validate() throws {
            guard iterations >= 1, validateEvery >= 1, patience >= 1, checkpointEvery >= 1, acsLines >= 1 else {
                throw MRIError(.invalidArgument,
                               "meta-training's iterations, validation and checkpoint intervals, patience and ACS lines must be at least 1")
            }
        }
    }

    /// What a run reports as it goes.
    public enum Event {
        /// Before the first step: the learner's size and GRAPPA's validation NRMSE.
        case started(profile: CoilArrayProfile, parameters: Int, grappaNRMSE: Double)
        /// After each validation.
        case validated(Validation)
    }

    /// One line of progress for a log.
    public func describe(_ event: Event) -> String {
        switch event {
        case let .started(profile, parameters, grappa):
            return String(format: "meta-train: %@ variant, %d coils (%@), R=%d, ACS %d, T=%d, learner %d,%d (%d parameters); validation GRAPPA NRMSE %.4f",
                          options.variant.rawValue, profile.coils, profile.name, options.acceleration, schedule.acsLines, options.steps,
                          options.hiddenChannels[0], options.hiddenChannels[1], parameters, grappa)
        case let .validated(v):
            let loss = v.meanLoss.map { String(format: "%.4f", $0) } ?? "–"
            return String(format: "step %d/%d  meta-loss %@  validation NRMSE %.4f (GRAPPA %.4f)%@  best %.4f @%d  %.0f s  ETA ≤ %.0f s",
                          v.iteration, schedule.iterations, loss, v.nrmse, v.grappaNRMSE, v.improved ? " *" : "",
                          v.best, v.bestIteration, v.seconds, v.remaining)
        }
    }

    /// One validation's outcome.
    public struct Validation: Sendable {
        public let iteration: Int
        /// Mean meta-loss of the steps since the last validation (nil if none ran).
        public let meanLoss: Float?
        public let nrmse: Double
        public let grappaNRMSE: Double
        /// Whether it is the best so far (the model file was written).
        public let improved: Bool
        public let best: Double
        public let bestIteration: Int
        /// Seconds of meta-training so far (over resumes).
        public let seconds: Double
        /// Upper bound on the seconds left.
        public let remaining: Double
    }

    /// How a run ended.
    public enum Outcome: Equatable {
        /// The schedule ran out or patience did: the best validation NRMSE and its iteration.
        case finished(bestNRMSE: Double, bestIteration: Int, grappaNRMSE: Double)
        /// ``shouldStop`` asked to stop; a checkpoint at this iteration was saved.
        case interrupted(iteration: Int)
    }

    /// Trainer settings.
    public var options: MetaTrainer.Options
    /// Schedule.
    public var schedule = Schedule()
    /// The tasks.
    public let tasks: MetaTrainingTasks
    /// Where the best model is written.
    public var modelPath: String
    /// Where checkpoints are written (default: the model path + `.checkpoint`).
    public var checkpointPath: String
    /// Recorded in the model's provenance (the command that made it, say).
    public var command = ""
    /// Receives progress.
    public var onEvent: (Event) -> Void = { _ in }
    /// Asked before every step: true saves a checkpoint and stops.
    public var shouldStop: () -> Bool = { false }

    /// A run writing its best model to `modelPath`.
    public init(options: MetaTrainer.Options, tasks: MetaTrainingTasks, modelPath: String) {
        self.options = options
        self.tasks = tasks
        self.modelPath = modelPath
        checkpointPath = modelPath + ".checkpoint"
    }

    /// Trains (from the checkpoint, with `resume`) until the schedule or patience ends it.
    public func run(resume: Bool = false) throws -> Outcome {
        try schedule.validate()
        try options.validate()
        let clock = Stopwatch()
        var trainer = try MetaTrainer(options: options, coils: tasks.coils)
        if resume { trainer = try MetaCheckpoint.read(checkpointPath, options: options, coils: tasks.coils) }
        let profile = try tasks.profile(acsLines: schedule.acsLines)
        let acquisition = { (ny: Int) in
            try Acquisition.uniform(ny: ny, acceleration: options.acceleration, acsLines: schedule.acsLines)
        }
        let acquisitions = try tasks.validation.map { try acquisition($0.scan.ny) }
        let grappa = try MetaValidation.grappaNRMSE(tasks.validation, acquisitions: acquisitions)
        onEvent(.started(profile: profile, parameters: trainer.learner.parameterCount, grappaNRMSE: grappa))
        let startIteration = trainer.state.iteration, startSeconds = trainer.state.seconds
        var recentLoss: [Float] = []
        // A fresh run validates its starting point too (for the residual variant, its linear
        // branch alone); a resumed one first runs a validation due at its checkpoint's
        // iteration if the stop came before it ran (a checkpoint every N steps can be written
        // just before a validation).
        let i = trainer.state.iteration, iterations = schedule.iterations
        var validateNow = trainer.state.lastValidatedIteration != i
            && (i == 0 || i % schedule.validateEvery == 0 || i == iterations)
        while (trainer.state.iteration < iterations || validateNow) && trainer.state.validationsSinceBest < schedule.patience {
            if shouldStop() {
                try MetaCheckpoint.write(trainer, to: checkpointPath)
                return .interrupted(iteration: trainer.state.iteration)
            }
            if !validateNow {
                let scan = try tasks.training(trainer.state.iteration)
                recentLoss.append(try trainer.step(scan: scan, acquisition(scan.ny)))
                trainer.state.seconds = startSeconds + clock.seconds
                if trainer.state.iteration % schedule.checkpointEvery == 0 { try MetaCheckpoint.write(trainer, to: checkpointPath) }
                guard trainer.state.iteration % schedule.validateEvery == 0 || trainer.state.iteration == iterations else { continue }
            }
            validateNow = false
            let nrmse = try MetaValidation.nrmse(trainer.model(array: profile, best: false), tasks.validation,
                                                 acquisitions: acquisitions)
            let improved = trainer.recordValidation(nrmse)
            if improved {
                let provenance = [
                    "command": command,
                    "iteration": "\(trainer.state.iteration)",
                    "meta_training_seconds": String(format: "%.0f", trainer.state.seconds),
                    "validation_nrmse": String(format: "%.5f", nrmse),
                    "validation_grappa_nrmse": String(format: "%.5f", grappa),
                ]
                try AtomicFile.write(try trainer.model(array: profile, best: true, provenance: provenance).serialized(), to: modelPath)
            }
            try MetaCheckpoint.write(trainer, to: checkpointPath)
            let done = trainer.state.iteration - startIteration
            let remaining = clock.seconds / Double(max(done, 1)) * Double(iterations - trainer.state.iteration)
            let meanLoss = recentLoss.isEmpty ? nil : recentLoss.reduce(0, +) / Float(recentLoss.count)
            recentLoss = []
            onEvent(.validated(Validation(iteration: trainer.state.iteration, meanLoss: meanLoss, nrmse: nrmse, grappaNRMSE: grappa,
                                          improved: improved, best: trainer.state.bestValidation ?? nrmse,
                                          bestIteration: trainer.state.bestIteration, seconds: trainer.state.seconds,
                                          remaining: remaining)))
        }
        guard let best = trainer.state.bestValidation else {
            throw MRIError(.invalidArgument,
                           "no validation ran: the iterations (\(iterations)) are fewer than the validation interval (\(schedule.validateEvery))")
        }
        return .finished(bestNRMSE: best, bestIteration: trainer.state.bestIteration, grappaNRMSE: grappa)
    }

    /// The existing model at ``modelPath`` with its coil-array profile measured again from
    /// the tasks (no training); returns the new least accepted agreement.
    public func remeasureProfile() throws -> Float {
        let existing = try MetaModel.read(modelPath)
        guard existing.learner.coils == tasks.coils else {
            throw MRIError(.invalidArgument, "\(modelPath) is for \(existing.learner.coils) coils, the tasks have \(tasks.coils)")
        }
        let profile = try tasks.profile(acsLines: schedule.acsLines)
        var provenance = existing.provenance
        provenance["profile_command"] = command
        let model = try MetaModel(variant: existing.variant, learner: existing.learner, metaLearner: existing.metaLearner,
                                  initialParameters: existing.initialParameters, array: profile,
                                  linearBranchLambda: existing.linearBranchLambda,
                                  acsReadoutWindow: existing.acsReadoutWindow, provenance: provenance)
        try AtomicFile.write(try model.serialized(), to: modelPath)
        return profile.minimumAgreement
    }
}
