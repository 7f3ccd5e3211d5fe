/// Element-wise activation functions with their derivatives.
public enum Activation: Sendable, Equatable, Codable {
    /// `x`.
    case identity
    /// `max(0, x)`.
    case relu
    /// `x` for `x ≥ 0`, `slope · x` otherwise.
    case leakyReLU(slope: Float)

    /// Applies the activation in place.
    public func forward(_ x: inout [Float], count: Int) {
        switch self {
        case .identity: return
        case .relu: x.withUnsafeMutableBufferPointer { p in for i in 0..<count where p[i] < 0 { p[i] = 0 } }
        case .leakyReLU(let s): x.withUnsafeMutableBufferPointer { p in for i in 0..<count where p[i] < 0 { p[i] *= s } }
        }
    }

    /// Multiplies `gradient` in place by the derivative at the pre-activation values.
    public func backward(_ gradient: inout [Float], preActivation: [Float], count: Int) {
        switch self {
        case .identity: return
        case .relu:
            gradient.withUnsafeMutableBufferPointer { g in
                preActivation.withUnsafeBufferPointer { z in for i in 0..<count where z[i] <= 0 { g[i] = 0 } }
            }
        case .leakyReLU(let s):
            gradient.withUnsafeMutableBufferPointer { g in
                preActivation.withUnsafeBufferPointer { z in for i in 0..<count where z[i] < 0 { g[i] *= s } }
            }
        }
    }
}
