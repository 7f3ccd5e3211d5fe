import Compute
import Foundation
import MRICore

/// The meta-learner `M` (docs/meta-grappa.md): a coordinate-wise modified LSTM whose cell state
/// is the learner's weight vector θ.
///
/// Every coordinate `p` runs the same three gates on
/// `x = [pre(g_p), pre(L), θ_p, previous gate value]` (six inputs):
///
///     f_t = σ(w_f·x + b_f)   forget        C_t = f_t ⊙ C_{t−1} − i_t ⊙ (g_t + H_{t−1})
///     i_t = σ(w_i·x + b_i)   input (step)  H_t = o_t ⊙ (g_t + H_{t−1})
///     o_t = σ(w_o·x + b_o)   momentum      θ_t = C_t
///
/// with `C_0 = θ_0`, `H_0 = 0` and previous gate values 0 at `t = 1`. So M has 21
/// parameters whatever the learner's size: ``gates`` holds `[w_f (6), b_f, w_i (6), b_i,
/// w_o (6), b_o]`.
public struct MetaLearnerLSTM: Sendable, Equatable, Codable {
    /// Inputs per gate.
    public static let gateInputs = 6
    /// Parameters per gate (weights and bias).
    public static let gateSize = gateInputs + 1
    /// Gate parameters `[forget, input, momentum]`, each six weights then a bias.
    public var gates: [Float]
    /// Number of learned update steps T.
    public let steps: Int

    /// Gates with zero weights and the given biases. With the normalised
    /// loss, an input-gate bias of −5 diverged and −7 did not; forget ≈ 5 keeps θ.
    public init(steps: Int = 5, forgetBias: Float = 5, inputBias: Float = -7, momentumBias: Float = -3) {
        self.steps = steps
        var g = [Float](repeating: 0, count: 3 * Self.gateSize)
        g[Self.gateInputs] = forgetBias
        g[Self.gateSize + Self.gateInputs] = inputBias
        g[2 * Self.gateSize + Self.gateInputs] = momentumBias
        gates = g
    }

    /// Creates a meta-learner from stored gate parameters.
    public init(steps: Int, gates: [Float]) {
        precondition(gates.count == 3 * Self.gateSize, "a meta-learner has \(3 * Self.gateSize) gate parameters")
        self.steps = steps
        self.gates = gates
    }

    /// How the T steps update θ: the learned gates, or plain gradient descent with a fixed
    /// step (the ablation: do the gates earn their keep?).
    public enum UpdateRule: Sendable, Equatable {
        /// The LSTM's gates.
        case learned
        /// `θ_t = θ_{t−1} − rate · g_t`.
        case gradientDescent(rate: Float)
    }

    /// The preprocessing of Andrychowicz et al. (appendix A), p = 10:
    /// `(log|x|/p, sign x)` if `|x| ≥ e^−p`, else `(−1, e^p·x)`.
    @inlinable
    public static func preprocess(_ x: Float) -> (Float, Float) {
        let p: Float = 10
        let a = abs(x)
        if a >= 4.539993e-05 { return (log(a) / p, x > 0 ? 1 : (x < 0 ? -1 : 0)) }
        return (-1, 22026.465 * x)
    }

    /// What one unrolled step keeps for the backward pass.
    public struct Step: Sendable {
        let thetaPrevious: [Float], hiddenPrevious: [Float], gradient: [Float]
        let forget: [Float], input: [Float], momentum: [Float]
        let forgetPrevious: [Float], inputPrevious: [Float], momentumPrevious: [Float]
    }

    /// The unrolled inner loop: the steps (when recorded) and the ACS loss before each.
    public struct Trace: Sendable {
        /// One entry per step, in order (empty unless recorded).
        public internal(set) var steps: [Step] = []
        /// `L_train(θ_{t−1})` for t = 1…T.
        public internal(set) var losses: [Float] = []
    }

    /// Runs the T updates from `theta0`. `lossAndGradient(θ)` gives `(L_train, ∇L_train)`;
    /// it is an input to the gates, not differentiated again (first order, as in Ravi &
    /// Larochelle). `record` keeps what ``backward(_:thetaGradient:)`` needs.
    public func adapt(_ theta0: [Float], rule: UpdateRule = .learned, record: Bool = false,
                      lossAndGradient: ([Float]) -> (Float, [Float])) -> (theta: [Float], trace: Trace) {
        let n = theta0.count
        var theta = theta0
        var hidden = [Float](repeating: 0, count: n)
        var previous = ([Float](repeating: 0, count: n), [Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
        var trace = Trace()
        for _ in 0..<steps {
            let (loss, g) = lossAndGradient(theta)
            precondition(g.count == n, "gradient length \(g.count) differs from θ's \(n)")
            trace.losses.append(loss)
            if case .gradientDescent(let rate) = rule {
                for p in 0..<n { theta[p] -= rate * g[p] }
                continue
            }
            let preL = Self.preprocess(loss)
            var f = [Float](repeating: 0, count: n), i = f, o = f
            var next = theta, nextHidden = hidden
            // Coordinate-wise, so the coordinates are split over the workers (same result).
            withUnsafeMutablePointers(&f, &i, &o, &next, &nextHidden) { f, i, o, next, nextHidden in
                gates.withUnsafeBufferPointer { w in
                    let w = UnsafeSendable(w)
                    Parallel.forEachChunk(n) { range in
                        for p in range {
                            let (g1, g2) = Self.preprocess(g[p])
                            let common = (g1, g2, preL.0, preL.1, theta[p])
                            f.value[p] = Self.gate(w.value, 0, common, previous.0[p])
                            i.value[p] = Self.gate(w.value, 1, common, previous.1[p])
                            o.value[p] = Self.gate(w.value, 2, common, previous.2[p])
                            let carried = g[p] + hidden[p]
                            next.value[p] = f.value[p] * theta[p] - i.value[p] * carried
                            nextHidden.value[p] = o.value[p] * carried
                        }
                    }
                }
            }
            if record {
                trace.steps.append(Step(thetaPrevious: theta, hiddenPrevious: hidden, gradient: g, forget: f, input: i,
                                        momentum: o, forgetPrevious: previous.0, inputPrevious: previous.1,
                                        momentumPrevious: previous.2))
            }
            theta = next
            hidden = nextHidden
            previous = (f, i, o)
        }
        return (theta, trace)
    }

    /// Runs `body` with sendable pointers to five arrays' storage.
    private func withUnsafeMutablePointers(_ a: inout [Float], _ b: inout [Float], _ c: inout [Float], _ d: inout [Float],
                                           _ e: inout [Float],
                                           _ body: (UnsafeSendable<UnsafeMutablePointer<Float>>, UnsafeSendable<UnsafeMutablePointer<Float>>,
                                                    UnsafeSendable<UnsafeMutablePointer<Float>>, UnsafeSendable<UnsafeMutablePointer<Float>>,
                                                    UnsafeSendable<UnsafeMutablePointer<Float>>) -> Void) {
        a.withUnsafeMutableBufferPointer { a in b.withUnsafeMutableBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
            d.withUnsafeMutableBufferPointer { d in e.withUnsafeMutableBufferPointer { e in
                body(UnsafeSendable(a.baseAddress!), UnsafeSendable(b.baseAddress!), UnsafeSendable(c.baseAddress!),
                     UnsafeSendable(d.baseAddress!), UnsafeSendable(e.baseAddress!))
            } }
        } } }
    }

    @inline(__always)
    static func gate(_ w: UnsafeBufferPointer<Float>, _ index: Int, _ x: (Float, Float, Float, Float, Float),
                     _ previous: Float) -> Float {
        let b = index * gateSize
        var a = w[b + 6]
        a += w[b] * x.0 + w[b + 1] * x.1 + w[b + 2] * x.2 + w[b + 3] * x.3 + w[b + 4] * x.4 + w[b + 5] * previous
        return 1 / (1 + exp(-a))
    }

    /// Back-propagates `∂M/∂θ_T` through a recorded inner loop: returns `∂M/∂θ_0` and
    /// `∂M/∂gates`. First order: the gradients `g_t` and losses are treated as inputs.
    public func backward(_ trace: Trace, thetaGradient: [Float]) -> (theta0: [Float], gates: [Float]) {
        precondition(trace.steps.count == steps, "backward needs a recorded inner loop of \(steps) steps")
        let n = thetaGradient.count, size = Self.gateSize
        var dC = thetaGradient
        var dH = [Float](repeating: 0, count: n)
        // Adjoints of the gate values, carried from step t+1 (where they were the "previous gate" input).
        var carry = ([Float](repeating: 0, count: n), [Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
        var dW = [Double](repeating: 0, count: 3 * size)
        let w = gates
        for (step, loss) in zip(trace.steps, trace.losses).reversed() {
            let preL = Self.preprocess(loss)
            var nextCarry = carry
            for p in 0..<n {
                let carried = step.gradient[p] + step.hiddenPrevious[p]
                let (f, i, o) = (step.forget[p], step.input[p], step.momentum[p])
                let df = dC[p] * step.thetaPrevious[p] + carry.0[p]
                let di = -dC[p] * carried + carry.1[p]
                let dO = dH[p] * carried + carry.2[p]
                let a = (df * f * (1 - f), di * i * (1 - i), dO * o * (1 - o))
                let (g1, g2) = Self.preprocess(step.gradient[p])
                let x = (g1, g2, preL.0, preL.1, step.thetaPrevious[p])
                // ∂/∂(w, b) of each gate: its pre-activation adjoint times its inputs.
                func accumulate(_ gate: Int, _ da: Float, _ previous: Float) {
                    let b = gate * size
                    dW[b] += Double(da * x.0)
                    dW[b + 1] += Double(da * x.1)
                    dW[b + 2] += Double(da * x.2)
                    dW[b + 3] += Double(da * x.3)
                    dW[b + 4] += Double(da * x.4)
                    dW[b + 5] += Double(da * previous)
                    dW[b + 6] += Double(da)
                }
                accumulate(0, a.0, step.forgetPrevious[p])
                accumulate(1, a.1, step.inputPrevious[p])
                accumulate(2, a.2, step.momentumPrevious[p])
                nextCarry.0[p] = a.0 * w[5]
                nextCarry.1[p] = a.1 * w[size + 5]
                nextCarry.2[p] = a.2 * w[2 * size + 5]
                let dThetaPrevious = dC[p] * f + a.0 * w[4] + a.1 * w[size + 4] + a.2 * w[2 * size + 4]
                let dHiddenPrevious = -dC[p] * i + dH[p] * o
                dC[p] = dThetaPrevious
                dH[p] = dHiddenPrevious
            }
            carry = nextCarry
        }
        return (dC, dW.map { Float($0) })
    }
}
