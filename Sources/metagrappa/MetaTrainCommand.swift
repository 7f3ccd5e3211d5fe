import ArgumentParser
import Foundation
import MetaLearner
import MetaTraining
import MRICore
import MRIIO

struct MetaTrainCommand: ReportingCommand {
    static let stopsAtOnceOnInterrupt = false  // checkpoints at its next step instead (StopRequest)

    static let configuration = CommandConfiguration(
        commandName: "meta-train",
        abstract: "Meta-train a Meta-GRAPPA model (θ₀ and the LSTM gates) for one coil array and R.",
        discussion: """
            Without --data, tasks are simulated: Colin27 slices z ∈ [20, 100) (--volume) seen by \
            the paper's 32-loop array, with varied anatomy, phase, shading, noise level and \
            correlation; validation on z ∈ [100, 110) against the noise-free image; z ≥ 110 is \
            never read. With --data, the user's fully sampled scans of one array train (the last \
            one validates). Progress goes to stderr; the best model by validation is written to \
            OUTPUT whenever it improves; the whole state is checkpointed atomically, and --resume \
            continues a run exactly.
            """)

    private static let defaults = MetaTrainer.Options()
    private static let schedule = MetaTrainingRun.Schedule()

    @Option(name: .shortAndLong, help: "Model file to write (.mgmeta).")
    var output: String

    @Option(help: "Variant: paper or residual.")
    var variant = defaults.variant

    @Option(help: "Acceleration R.")
    var accel = defaults.acceleration

    @Option(help: "ACS lines.")
    var acs = schedule.acsLines

    @Option(help: "Brain volume for simulated tasks (uint8 [z, y, x] .npy, ≥ 110 slices; default: the Colin27 volume shipped in the binary).")
    var volume: String?

    @Option(parsing: .upToNextOption, help: "Fully sampled scans of one coil array to train on instead (.npy, ≥ 2; the last validates).")
    var data: [String] = []

    @Option(help: "Most meta-iterations (one task each).")
    var iterations = schedule.iterations

    @Option(help: "Inner update steps T.")
    var steps = defaults.steps

    @Option(help: "Learner hidden widths, as A,B.")
    var hidden = LayerWidths(defaults.hiddenChannels[0], defaults.hiddenChannels[1])

    @Option(help: "Seed of θ₀'s initial weights and of the task stream.")
    var seed = defaults.seed

    @Option(name: .customLong("theta-lr"), help: "Adam learning rate for θ₀.")
    var thetaLearningRate = defaults.thetaLearningRate

    @Option(name: .customLong("gate-lr"), help: "Adam learning rate for the gate parameters.")
    var gateLearningRate = defaults.gateLearningRate

    @Option(name: .customLong("input-gate-bias"), help: "Initial input-gate bias (step size ≈ σ(bias)).")
    var inputGateBias = defaults.gateBiases[1]

    @Option(help: "Relative Tikhonov weight of the residual variant's linear branch.")
    var lambda = defaults.linearBranchLambda

    @Option(name: .customLong("acs-readout"), help: "Central ACS readout samples in the inner loop's loss (0: all).")
    var acsReadout = defaults.acsReadoutWindow ?? 0

    @Option(name: .customLong("validate-every"), help: "Validate (and checkpoint) every N meta-iterations.")
    var validateEvery = schedule.validateEvery

    @Option(help: "Stop after this many validations without improvement.")
    var patience = schedule.patience

    @Option(name: .customLong("checkpoint-every"), help: "Also checkpoint every N meta-iterations between validations.")
    var checkpointEvery = schedule.checkpointEvery

    @Option(help: "Checkpoint file (default: OUTPUT.checkpoint).")
    var checkpoint: String?

    @Flag(help: "Simulated tasks put the array on a different subject each (shift, rotation, radius, loop gains, field modulation).")
    var subjects = false

    @Flag(help: "Continue the run saved in the checkpoint.")
    var resume = false

    @Flag(name: .customLong("profile-only"),
          help: "Do not train: measure the coil-array profile (fingerprint and least agreement) from the tasks again and store it in the existing OUTPUT model.")
    var profileOnly = false

    func execute() throws {
        try KSpaceFiles.validateOutput(output, input: "", extensions: ["mgmeta"])
        guard acsReadout >= 0 else { throw MRIError(.invalidArgument, "--acs-readout must be ≥ 0 (0: all), found \(acsReadout)") }
        var options = MetaTrainer.Options()
        options.variant = variant
        options.acceleration = accel
        options.steps = steps
        options.hiddenChannels = [hidden.first, hidden.second]
        options.seed = seed
        options.thetaLearningRate = thetaLearningRate
        options.gateLearningRate = gateLearningRate
        options.gateBiases[1] = inputGateBias
        options.linearBranchLambda = lambda
        options.acsReadoutWindow = acsReadout == 0 ? nil : acsReadout
        try options.validate()
        var schedule = MetaTrainingRun.Schedule()
        (schedule.iterations, schedule.validateEvery, schedule.checkpointEvery, schedule.patience, schedule.acsLines)
            = (iterations, validateEvery, checkpointEvery, patience, acs)
        try schedule.validate()
        let tasks = try MetaTrainingTasks.chosen(scans: data, volume: volume, seed: seed, subjects: subjects)
        var run = MetaTrainingRun(options: options, tasks: tasks, modelPath: output)
        run.schedule = schedule
        run.checkpointPath = checkpoint ?? output + ".checkpoint"
        run.command = "metagrappa " + CommandLine.arguments.dropFirst().joined(separator: " ")
        if profileOnly {
            let agreement = try run.remeasureProfile()
            return printError(String(format: "meta-train: coil-array profile of %@ measured again (least agreement %.2f)", output, agreement))
        }
        run.onEvent = { [run] in printError(run.describe($0)) }
        StopRequest.install()
        run.shouldStop = { StopRequest.requested }
        switch try run.run(resume: resume) {
        case let .interrupted(iteration):
            printError("meta-train: interrupted at step \(iteration); checkpoint \(run.checkpointPath) saved, continue with --resume")
            throw ExitCode(130)
        case let .finished(best, iteration, grappa):
            printError(String(format: "meta-train: best validation NRMSE %.4f at step %d (GRAPPA %.4f); model %@", best, iteration, grappa, output))
        }
    }
}
