import Compute
import Foundation
import MetaLearner
import Testing
import TestSupport

/// The meta-learner's update rule and its hand-written backward pass against an independent
/// numpy implementation written from the equations of docs/meta-grappa.md, on a quadratic
/// inner problem L(θ) = ½‖Aθ − b‖² / m, in double precision.
@Suite struct MetaUpdateReferenceTests {
    @Test func updateAndGateGradientsEqualNumpy() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let (m, n) = (30, 40)
        var rng = SeededGenerator(seed: 21)
        let a = (0..<(m * n)).map { _ in rng.normal() / Double(n).squareRoot() }
        let b = (0..<m).map { _ in rng.normal() }
        let theta0 = (0..<n).map { _ in Float(0.5 * rng.normal()) }
        let v = (0..<n).map { _ in Float(rng.normal()) }
        // Weights of order one and distinct biases, so that every input of every gate, and
        // each gate's own previous value, moves θ_T measurably.
        var gates = (0..<21).map { _ in Float(2 * rng.uniform() - 1) }
        (gates[6], gates[13], gates[20]) = (2, -1, 1)
        let lstm = MetaLearnerLSTM(steps: 4, gates: gates)
        let lossAndGradient = { (theta: [Float]) -> (Float, [Float]) in
            let r = (0..<m).map { i in (0..<n).reduce(-b[i]) { $0 + a[i * n + $1] * Double(theta[$1]) } }
            let g = (0..<n).map { j in (0..<m).reduce(0.0) { $0 + a[$1 * n + j] * r[$1] } / Double(m) }
            return (Float(0.5 * r.reduce(0) { $0 + $1 * $1 } / Double(m)), g.map(Float.init))
        }
        let (thetaT, trace) = lstm.adapt(theta0, record: true, lossAndGradient: lossAndGradient)
        // M = v · θ_T, so ∂M/∂θ_T = v.
        let (dTheta0, dGates) = lstm.backward(trace, thetaGradient: v)
        let save = { (name: String, x: [Double]) in
            try x.map { "\($0)" }.joined(separator: "\n").write(toFile: dir.file(name), atomically: true, encoding: .utf8)
        }
        try save("a", a); try save("b", b); try save("theta0", theta0.map(Double.init)); try save("v", v.map(Double.init))
        try save("gates", gates.map(Double.init)); try save("thetaT", thetaT.map(Double.init))
        try save("dtheta0", dTheta0.map(Double.init)); try save("dgates", dGates.map(Double.init))
        let py = try runPython("""
            import numpy as np
            L = lambda name: np.loadtxt('\(dir.path)/' + name)
            A, b, theta0, v, W = L('a').reshape(\(m), \(n)), L('b'), L('theta0'), L('v'), L('gates').reshape(3, 7)
            def pre(x):   # Andrychowicz et al., p = 10
                x = np.asarray(x, float)
                big = np.abs(x) >= np.exp(-10)
                return (np.where(big, np.log(np.maximum(np.abs(x), 1e-300)) / 10, -1.0),
                        np.where(big, np.sign(x), np.exp(10) * x))
            def loss_grad(t):
                r = A @ t - b
                return 0.5 * r @ r / len(b), A.T @ r / len(b)
            def run(W, theta0, frozen=None):
                C, H = theta0.copy(), np.zeros_like(theta0)
                prev = [np.zeros_like(theta0)] * 3
                record = []
                for t in range(4):
                    l, g = loss_grad(C) if frozen is None else frozen[t]
                    record.append((l, g))
                    g1, g2 = pre(g)
                    l1, l2 = pre(l)
                    gate = [1 / (1 + np.exp(-(W[k, 0] * g1 + W[k, 1] * g2 + W[k, 2] * l1 + W[k, 3] * l2 + W[k, 4] * C
                                              + W[k, 5] * prev[k] + W[k, 6]))) for k in range(3)]
                    f, i, o = gate
                    C, H = f * C - i * (g + H), o * (g + H)
                    prev = gate
                return C, record
            thetaT, record = run(W, theta0)
            ours = L('thetaT')
            err = np.linalg.norm(ours - thetaT) / np.linalg.norm(thetaT - theta0)
            assert err < 1e-5, ('theta_T', err)   # float32 against float64: 9e-8 measured
            # first-order gradients: the losses and gradients of the inner loop held fixed
            M = lambda W, t0: v @ run(W, t0, record)[0]
            eps = 1e-6
            fd_gates = np.array([(M(W + eps * np.eye(21)[k].reshape(3, 7), theta0) - M(W - eps * np.eye(21)[k].reshape(3, 7), theta0))
                                 / (2 * eps) for k in range(21)])
            fd_theta = np.array([(M(W, theta0 + eps * np.eye(\(n))[k]) - M(W, theta0 - eps * np.eye(\(n))[k])) / (2 * eps)
                                 for k in range(\(n))])
            eg = np.linalg.norm(L('dgates') - fd_gates) / np.linalg.norm(fd_gates)
            et = np.linalg.norm(L('dtheta0') - fd_theta) / np.linalg.norm(fd_theta)
            assert eg < 1e-5 and et < 1e-5, ('gradients', eg, et)   # 8e-8 and 1.5e-7 measured
            print("ok", err, eg, et)
            """)
        #expect(py.status == 0 && py.stdout.hasPrefix("ok"), "numpy reference: \(py.stderr)")
    }
}
