/// Element-wise activation functions with their derivatives.
public enum Activation: Sendable, Equatable, Codable {
    /// `x`.
    case identity
    /// `max(0, x)`.
    case relu
    /// `x` for `x ≥ 0`, `slope · x` otherwise.
    case leakyReLU(slope: Float)

    // The loops select instead of branching: the signs are random, so a branch per value
    // mispredicts half the time, and a select vectorises (activations were ~5 % of a
    // Meta-GRAPPA reconstruction).

    /// Applies the activation in place.
    public func forward(_ x: inout [Float], count: Int) {
        switch self {
        case .identity: return
        case .relu: x.withUnsafeMutableBufferPointer { p in for i in 0..<count { p[i] = p[i] < 0 ? 0 : p[i] } }
        case .leakyReLU(let s):
            x.withUnsafeMutableBufferPointer { p in for i in 0..<count { p[i] = p[i] < 0 ? p[i] * s : p[i] } }
        }
    }

    /// Multiplies `gradient` in place by the derivative at the pre-activation values.
    public func backward(_ gradient: inout [Float], preActivation: [Float], count: Int) {
        switch self {
        case .identity: return
        case .relu:
            gradient.withUnsafeMutableBufferPointer { g in
                preActivation.withUnsafeBufferPointer { z in for i in 0..<count { g[i] = z[i] <= 0 ? 0 : g[i] } }
            }
        case .leakyReLU(let s):
            gradient.withUnsafeMutableBufferPointer { g in
                preActivation.withUnsafeBufferPointer { z in for i in 0..<count { g[i] *= z[i] < 0 ? s : 1 } }
            }
        }
    }
}
