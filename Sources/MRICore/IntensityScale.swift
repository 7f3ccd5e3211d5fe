import Foundation
import Numerics

/// The power of two that brings a slice's measured samples to a root-mean-square near 1.
///
/// Raw k-space comes in any unit: 1e-7 from one scanner's files, 1e4 from another's, anything
/// from a user's arrays. The methods work in float32, whose products underflow or overflow
/// long before the data's own values do (a Gram matrix holds squares of squares), and some of
/// their choices compare quantities with fixed floors. Every method therefore runs on the
/// slice multiplied by `2^−exponent` and its result is multiplied by `2^exponent`: both are
/// exact in floating point, so a reconstruction of `c·k` is `c` times that of `k` — bit for
/// bit when `c` is a power of two, to rounding otherwise — and measured samples come back as
/// measured.
public struct IntensityScale: Sendable, Equatable {
    /// The slice is divided by `2^exponent`.
    public let exponent: Int

    /// The scale that brings the samples on `acquisition`'s measured lines of `k` to a
    /// root-mean-square in [1/√2, √2) (exponent 0 for a slice without signal).
    public init(of k: borrowing KSpace, _ acquisition: Acquisition) {
        let lines = (0..<k.ny).filter { acquisition.mask.acquired[$0] }
        // Double squares: float32 ones overflow at |k| ≈ 2e19.
        var sum = 0.0
        k.data.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: Float.self) { floats in
                for c in 0..<k.coils {
                    for y in lines {
                        let row = 2 * (c * k.ny + y) * k.nx
                        for i in row..<(row + 2 * k.nx) { sum += Double(floats[i]) * Double(floats[i]) }
                    }
                }
            }
        }
        let count = Double(k.coils * lines.count * k.nx)
        let rms = count > 0 ? (sum / count).squareRoot() : 0
        exponent = rms > 0 && rms.isFinite ? Int((log2(rms)).rounded()) : 0
    }

    /// The scale of `exponent`.
    public init(exponent: Int) {
        self.exponent = exponent
    }

    /// `k / 2^exponent`.
    public func normalized(_ k: consuming KSpace) -> KSpace {
        var out = consume k
        Self.scale(&out, by: -exponent)
        return out
    }

    /// `k · 2^exponent`: undoes ``normalized(_:)``.
    public func restored(_ k: consuming KSpace) -> KSpace {
        var out = consume k
        restore(&out)
        return out
    }

    /// Multiplies `k` by `2^exponent` in place.
    public func restore(_ k: inout KSpace) {
        Self.scale(&k, by: exponent)
    }

    /// A variance of the original data in the normalised data's units (`v / 4^exponent`).
    public func normalizedVariance(_ v: Double) -> Double {
        v * Double(sign: .plus, exponent: -2 * exponent, significand: 1)
    }

    /// A variance of the normalised data in the original data's units.
    public func restoredVariance(_ v: Double) -> Double {
        v * Double(sign: .plus, exponent: 2 * exponent, significand: 1)
    }

    private static func scale(_ k: inout KSpace, by power: Int) {
        guard power != 0 else { return }
        // Two steps where 2^power alone is not a normal float (|power| > 126).
        let steps = abs(power) > 126 ? [power / 2, power - power / 2] : [power]
        k.data.withUnsafeMutableBufferPointer { buf in
            buf.withMemoryRebound(to: Float.self) { floats in
                for step in steps {
                    let factor = Float(sign: .plus, exponent: step, significand: 1)
                    for i in floats.indices { floats[i] *= factor }
                }
            }
        }
    }
}
