import ArgumentParser
import Foundation
import GRAPPA
import MetaLearner
import MRICore
import MRIIO

struct MetaTrainCommand: ReportingCommand {
    static let stopsAtOnceOnInterrupt = false  // checkpoints at its next step instead (Interruption)

    static let configuration = CommandConfiguration(
        commandName: "meta-train",
        abstract: "Meta-train a Meta-GRAPPA model (θ₀ and the LSTM gates) for one coil array and R.",
        discussion: """
            Without --data, tasks are simulated on the paper's protocol: Colin27 slices z ∈ [20, 100) \
            (--volume) seen by the 32-loop array of shared/data/tools/make_sim.py, with varied \
            anatomy, phase, shading, noise level and correlation; validation on z ∈ [100, 110) \
            against the noise-free image; z ≥ 110 is never read. With --data, the user's fully \
            sampled scans of one array train (the last one validates). Progress goes to stderr; \
            the best model by validation is written to OUTPUT whenever it improves; the whole \
            state is checkpointed atomically, and --resume continues a run exactly.
            """)

    @Option(name: .shortAndLong, help: "Model file to write (.mgmeta).")
    var output: String

    @Option(help: "Variant: paper or residual.")
    var variant: MetaVariant = .paper

    @Option(help: "Acceleration R.")
    var accel = 4

    @Option(help: "ACS lines.")
    var acs = 32

    @Option(help: "Colin27 volume for simulated tasks (uint8 [z, y, x] .npy).")
    var volume = "../shared/data/ch2_colin27_t1_181x217x181_uint8.npy"

    @Option(parsing: .upToNextOption, help: "Fully sampled scans of one coil array to train on instead (.npy, ≥ 2; the last validates).")
    var data: [String] = []

    @Option(help: "Most meta-iterations (one task each).")
    var iterations = 1500

    @Option(help: "Inner update steps T.")
    var steps = 5

    @Option(help: "Learner hidden widths, as A,B.")
    var hidden = "32,8"

    @Option(help: "Seed of θ₀'s initial weights and of the task stream.")
    var seed: UInt64 = 1

    @Option(name: .customLong("theta-lr"), help: "Adam learning rate for θ₀.")
    var thetaLearningRate: Float = 1e-3

    @Option(name: .customLong("gate-lr"), help: "Adam learning rate for the gate parameters.")
    var gateLearningRate: Float = 1e-2

    @Option(name: .customLong("input-gate-bias"), help: "Initial input-gate bias (step size ≈ σ(bias)).")
    var inputGateBias: Float = -7

    @Option(help: "Relative Tikhonov weight of the residual variant's linear branch.")
    var lambda = 1e-4

    @Option(name: .customLong("acs-readout"), help: "Central ACS readout samples in the inner loop's loss (0: all).")
    var acsReadout = 128

    @Option(name: .customLong("validate-every"), help: "Validate (and checkpoint) every N meta-iterations.")
    var validateEvery = 50

    @Option(help: "Stop after this many validations without improvement.")
    var patience = 8

    @Option(name: .customLong("checkpoint-every"), help: "Also checkpoint every N meta-iterations between validations.")
    var checkpointEvery = 25

    @Option(help: "Checkpoint file (default: OUTPUT.checkpoint).")
    var checkpoint: String?

    @Flag(help: "Continue the run saved in the checkpoint.")
    var resume = false

    @Flag(name: .customLong("profile-only"),
          help: "Do not train: measure the coil-array profile (fingerprint and least agreement) from the tasks again and store it in the existing OUTPUT model.")
    var profileOnly = false

    var options: MetaTrainer.Options {
        get throws {
            var o = MetaTrainer.Options()
            o.variant = variant
            o.acceleration = accel
            o.steps = steps
            let widths = hidden.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard widths.count == 2 else { throw MRIError(.invalidArgument, "--hidden must be two integers A,B, found '\(hidden)'") }
            o.hiddenChannels = widths
            o.seed = seed
            o.thetaLearningRate = thetaLearningRate
            o.gateLearningRate = gateLearningRate
            o.gateBiases = [5, inputGateBias, -3]
            o.linearBranchRegularization = lambda
            guard acsReadout >= 0 else { throw MRIError(.invalidArgument, "--acs-readout must be ≥ 0 (0: all), found \(acsReadout)") }
            o.acsReadoutWindow = acsReadout == 0 ? nil : acsReadout
            try o.validate()
            return o
        }
    }

    func execute() throws {
        try validateOutput(output, input: "", extensions: ["mgmeta"])
        guard iterations >= 1, validateEvery >= 1, patience >= 1, checkpointEvery >= 1 else {
            throw MRIError(.invalidArgument, "--iterations, --validate-every, --checkpoint-every and --patience must be at least 1")
        }
        let options = try options
        let checkpointPath = checkpoint ?? output + ".checkpoint"
        let clock = Stopwatch()
        let tasks = data.isEmpty ? try MetaTrainingTasks.simulated(volumePath: volume, seed: seed)
                                 : try MetaTrainingTasks.files(data)
        if profileOnly { return try measureProfileAgain(tasks) }
        var trainer = try MetaTrainer(options: options, coils: tasks.coils)
        if resume { trainer = try MetaCheckpoint.read(checkpointPath, options: options, coils: tasks.coils) }
        let profile = try tasks.profile(acsLines: acs)
        let masks = try tasks.validation.map { try SamplingMask.uniform(ny: $0.scan.ny, acceleration: accel, acsLines: acs) }
        let grappa = try MetaValidation.grappaNRMSE(tasks.validation, masks: masks)
        printError(String(format: "meta-train: %@ variant, %d coils (%@), R=%d, ACS %d, T=%d, learner %@ (%d parameters); validation GRAPPA NRMSE %.4f",
                          variant.rawValue, tasks.coils, profile.name, accel, acs, steps, hidden,
                          trainer.learner.parameterCount, grappa))
        let startIteration = trainer.state.iteration, startSeconds = trainer.state.seconds
        var recentLoss: [Float] = []
        // A fresh run validates its starting point too (for the residual variant, that is its linear branch alone);
        // a resumed one first runs a validation due at its checkpoint's iteration if the kill came before it ran
        // (a checkpoint every N steps can be written just before a validation).
        let i = trainer.state.iteration
        var validateNow = trainer.state.lastValidatedIteration != i && (i == 0 || i % validateEvery == 0 || i == iterations)
        Interruption.install()
        while (trainer.state.iteration < iterations || validateNow) && trainer.state.validationsSinceBest < patience {
            if Interruption.requested {
                try MetaCheckpoint.write(trainer, to: checkpointPath)
                printError("meta-train: interrupted at step \(trainer.state.iteration); checkpoint \(checkpointPath) saved, continue with --resume")
                throw ExitCode(130)
            }
            if !validateNow {
                let scan = try tasks.training(trainer.state.iteration)
                let mask = try SamplingMask.uniform(ny: scan.ny, acceleration: accel, acsLines: acs)
                recentLoss.append(try trainer.step(scan: scan, mask: mask))
                trainer.state.seconds = startSeconds + clock.seconds
                if trainer.state.iteration % checkpointEvery == 0 { try MetaCheckpoint.write(trainer, to: checkpointPath) }
                guard trainer.state.iteration % validateEvery == 0 || trainer.state.iteration == iterations else { continue }
            }
            validateNow = false
            let model = try trainer.model(array: profile, best: false)
            let nrmse = try MetaValidation.nrmse(model, tasks.validation, masks: masks)
            let improved = trainer.recordValidation(nrmse)
            if improved {
                let provenance = [
                    "command": "metagrappa " + CommandLine.arguments.dropFirst().joined(separator: " "),
                    "iteration": "\(trainer.state.iteration)",
                    "meta_training_seconds": String(format: "%.0f", trainer.state.seconds),
                    "validation_nrmse": String(format: "%.5f", nrmse),
                    "validation_grappa_nrmse": String(format: "%.5f", grappa),
                ]
                try AtomicFile.write(try trainer.model(array: profile, best: true, provenance: provenance).serialized(), to: output)
            }
            try MetaCheckpoint.write(trainer, to: checkpointPath)
            let done = trainer.state.iteration - startIteration
            let eta = clock.seconds / Double(max(done, 1)) * Double(iterations - trainer.state.iteration)
            let meanLoss = recentLoss.isEmpty ? "–" : String(format: "%.4f", recentLoss.reduce(0, +) / Float(recentLoss.count))
            recentLoss = []
            printError(String(format: "step %d/%d  meta-loss %@  validation NRMSE %.4f (GRAPPA %.4f)%@  best %.4f @%d  %.0f s  ETA ≤ %.0f s",
                              trainer.state.iteration, iterations, meanLoss, nrmse, grappa, improved ? " *" : "",
                              trainer.state.bestValidation ?? nrmse, trainer.state.bestIteration, trainer.state.seconds, eta))
        }
        guard let best = trainer.state.bestValidation else {
            throw MRIError(.invalidArgument, "no validation ran: --iterations (\(iterations)) is below --validate-every (\(validateEvery))")
        }
        printError(String(format: "meta-train: best validation NRMSE %.4f at step %d (GRAPPA %.4f); model %@",
                          best, trainer.state.bestIteration, grappa, output))
    }

    /// `--profile-only`: the existing model at OUTPUT with its coil-array profile measured again.
    private func measureProfileAgain(_ tasks: MetaTrainingTasks) throws {
        let existing = try MetaModelFile.read(output)
        guard existing.learner.coils == tasks.coils else {
            throw MRIError(.invalidArgument, "\(output) is for \(existing.learner.coils) coils, the tasks have \(tasks.coils)")
        }
        let profile = try tasks.profile(acsLines: acs)
        var provenance = existing.provenance
        provenance["profile_command"] = "metagrappa " + CommandLine.arguments.dropFirst().joined(separator: " ")
        let model = try MetaModel(variant: existing.variant, learner: existing.learner, metaLearner: existing.metaLearner,
                                  initialParameters: existing.initialParameters, array: profile,
                                  linearBranchRegularization: existing.linearBranchRegularization,
                                  acsReadoutWindow: existing.acsReadoutWindow, provenance: provenance)
        try AtomicFile.write(try model.serialized(), to: output)
        printError(String(format: "meta-train: coil-array profile of %@ measured again (least agreement %.2f)", output, profile.minimumAgreement))
    }
}

/// Ctrl-C (SIGINT) or SIGTERM during meta-training: finish the current step, save a
/// checkpoint, stop.
enum Interruption {
    nonisolated(unsafe) static var flag: sig_atomic_t = 0
    static var requested: Bool { flag != 0 }

    static func install() {
        signal(SIGINT) { _ in Interruption.flag = 1 }
        signal(SIGTERM) { _ in Interruption.flag = 1 }
    }
}

/// Validation: mean NRMSE of the RSS image over the validation scans.
enum MetaValidation {
    static func nrmse(_ model: MetaModel, _ scans: [(scan: KSpace, reference: RealImage)], masks: [SamplingMask]) throws -> Double {
        try meanNRMSE(scans, masks: masks) { try MetaGrappa(model: model).reconstruct($0, mask: $1) }
    }

    static func grappaNRMSE(_ scans: [(scan: KSpace, reference: RealImage)], masks: [SamplingMask]) throws -> Double {
        try meanNRMSE(scans, masks: masks) { try Grappa().reconstruct($0, mask: $1) }
    }

    private static func meanNRMSE(_ scans: [(scan: KSpace, reference: RealImage)], masks: [SamplingMask],
                                  _ reconstruct: (KSpace, SamplingMask) throws -> KSpace) throws -> Double {
        var sum = 0.0
        for ((scan, reference), mask) in zip(scans, masks) {
            let out = try reconstruct(scan.masked(by: mask), mask)
            sum += ImageMetrics.nrmse(CenteredFFT.rssImage(of: out), reference)
        }
        return sum / Double(scans.count)
    }
}
