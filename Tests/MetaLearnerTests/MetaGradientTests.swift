import Compute
import MetaLearner
import MRICore
import NeuralNetwork
import Testing
import TestSupport

/// The hand-written meta-gradient against finite differences of the meta-objective
/// `L_train(θ_T) + L_test(θ_T)` on a tiny problem (2 coils, 24 × 12, R = 2, T = 3).
@Suite struct MetaGradientTests {
    let learner = try! LearnerCNN(coils: 2, acceleration: 2, hiddenChannels: [4, 3])
    let scan = randomKSpace(coils: 2, ny: 24, nx: 12, seed: 7)
    let mask = try! Acquisition.uniform(ny: 24, acceleration: 2, acsLines: 12)
    /// Gates with non-zero weights, so that every path of the backward pass carries signal,
    /// and the given biases (forget, input, momentum).
    /// `gradientInputs: false` zeroes the weights on pre(g) and pre(L).
    func lstm(biases: (Float, Float, Float), gradientInputs: Bool) -> MetaLearnerLSTM {
        var rng = SeededGenerator(seed: 3)
        var g = (0..<21).map { _ in Float(0.4 * rng.uniform() - 0.2) }
        (g[6], g[13], g[20]) = biases
        if !gradientInputs { for gate in 0..<3 { for k in 0..<4 { g[7 * gate + k] = 0 } } }
        return MetaLearnerLSTM(steps: 3, gates: g)
    }

    /// The meta-objective; with `frozen`, the inner loop's losses and gradients are the
    /// recorded ones (the first-order objective that the hand-written gradient differentiates).
    func objective(_ problem: LearnerProblem, theta0: [Float], gates: [Float],
                   frozen: [(Float, [Float])]? = nil) -> Double {
        var network = learner.network(seed: 0)
        var step = 0
        let (theta, _) = MetaLearnerLSTM(steps: 3, gates: gates).adapt(theta0) { theta in
            defer { step += 1 }
            if let frozen { return frozen[step] }
            network.parameters = theta
            return problem.trainingLoss(&network)
        }
        network.parameters = theta
        return Double(problem.trainingLoss(&network).loss) + Double(problem.testLoss(&network).loss)
    }

    /// `biases` (2, −1, −1) give steps large enough to move θ visibly in three steps: the
    /// exact check. The whole objective also depends on θ through g_t(θ), in the update
    /// (a term of the order of the input gate) and in the gates' inputs pre(g), pre(L);
    /// with biases (5, −10, −3) (steps of ~5e-5·g) and zero weights on those inputs
    /// the dropped terms are small, and `whole` checks that the first-order gradient then
    /// matches the whole objective's too.
    func check(variant residual: Bool, biases: (Float, Float, Float), whole: Bool) throws {
        let problem = try LearnerProblem(scan: scan, mask, learner: learner,
                                         linearBranchLambda: residual ? 1e-3 : nil, truth: scan)
        let theta0 = learner.network(seed: 5).parameters
        var options = MetaTrainer.Options()
        (options.acceleration, options.hiddenChannels, options.steps) = (2, [4, 3], 3)
        if residual { options.variant = .residual; options.linearBranchLambda = 1e-3 }
        let trainer = try MetaTrainer(options: options, coils: 2)
        let lstm = self.lstm(biases: biases, gradientInputs: !whole)
        let analytic = try trainer.metaGradient(scan: scan, mask, theta0: theta0, gates: lstm.gates)

        var network = learner.network(seed: 0)
        var recorded: [(Float, [Float])] = []
        _ = lstm.adapt(theta0) { theta in
            network.parameters = theta
            let r = problem.trainingLoss(&network)
            recorded.append(r)
            return r
        }
        // Every gate parameter and a spread of θ₀ coordinates (all three layers).
        var fd: [Double] = [], an: [Double] = [], fullFD: [Double] = []
        let h: Float = 1e-2
        for p in 0..<21 {
            func f(_ d: Float, frozen: Bool) -> Double {
                var g = lstm.gates
                g[p] += d
                return objective(problem, theta0: theta0, gates: g, frozen: frozen ? recorded : nil)
            }
            fd.append((f(h, frozen: true) - f(-h, frozen: true)) / Double(2 * h))
            fullFD.append((f(h, frozen: false) - f(-h, frozen: false)) / Double(2 * h))
            an.append(Double(analytic.gates[p]))
        }
        for p in stride(from: 0, to: theta0.count, by: max(1, theta0.count / 40)) {
            func f(_ d: Float, frozen: Bool) -> Double {
                var t = theta0
                t[p] += d
                return objective(problem, theta0: t, gates: lstm.gates, frozen: frozen ? recorded : nil)
            }
            fd.append((f(h, frozen: true) - f(-h, frozen: true)) / Double(2 * h))
            fullFD.append((f(h, frozen: false) - f(-h, frozen: false)) / Double(2 * h))
            an.append(Double(analytic.theta0[p]))
        }
        func relativeError(_ a: [Double], _ b: [Double]) -> Double {
            let diff = zip(a, b).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            return diff / b.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        }
        let exact = relativeError(an, fd), wholeError = relativeError(an, fullFD)
        #expect(fd.contains { abs($0) > 1e-3 }, "the check must exercise non-zero derivatives")
        #expect(exact < 1e-2, "first-order meta-gradient vs finite differences of the first-order objective: \(exact)")
        if whole {
            // The whole objective also moves through g_t(θ); with small input gates those
            // second-order terms are small, so the first-order gradient stays close.
            #expect(wholeError < 0.05, "first-order meta-gradient vs finite differences of the whole objective: \(wholeError)")
        }
    }

    @Test func paperVariantMetaGradientMatchesFiniteDifferences() throws {
        try check(variant: false, biases: (2, -1, -1), whole: false)
        try check(variant: false, biases: (5, -10, -3), whole: true)
    }

    @Test func residualVariantMetaGradientMatchesFiniteDifferences() throws {
        try check(variant: true, biases: (2, -1, -1), whole: false)
        try check(variant: true, biases: (5, -10, -3), whole: true)
    }
}
