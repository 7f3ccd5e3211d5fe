import MRICore
import NeuralNetwork
import Numerics

/// A RAKI network trained on one scan, with the scaling it was trained at.
public struct RakiModel: Sendable {
    /// The trained network.
    public let network: ConvNet
    /// Acceleration it estimates for.
    public let acceleration: Int
    /// Coils it expects.
    public let coils: Int
    /// Factor applied to k-space before the network (1 / max |ACS|), undone after.
    public let scale: Float
    /// Best training loss (mean squared error on the normalised ACS).
    public let finalLoss: Float
    /// Iterations run (early stopping may end before the maximum).
    public let iterations: Int

    /// Fills every missing line of `k`, keeping acquired lines as measured. The network
    /// runs on the acquired lattice lines only (stacked, so its row dilation becomes 1),
    /// zero-padded by one lattice line and by 3 readout samples on each side, so that
    /// lines and samples near the edges are estimated too.
    public func apply(to k: consuming KSpace, mask: SamplingMask) throws -> KSpace {
        guard k.coils == coils else {
            throw MRIError(.invalidArgument, "RAKI network was trained for \(coils) coils, the k-space has \(k.coils)")
        }
        let lattice = try mask.lattice()
        guard lattice.acceleration == acceleration else {
            throw MRIError(.invalidArgument, "RAKI network was trained for R=\(acceleration), the mask has R=\(lattice.acceleration)")
        }
        let r = acceleration, s = lattice.offset, ny = k.ny, nx = k.nx, margin = Raki.readoutMargin
        let baseRange = lattice.baseIndices(ny: ny)
        let firstBase = baseRange.lowerBound, bases = baseRange.count
        var input = FeatureMap(channels: 2 * coils, height: bases + 2, width: nx + 2 * margin)
        for row in 0..<(bases + 2) {
            let y = s + r * (firstBase - 1 + row)
            guard y >= 0, y < ny else { continue }
            for c in 0..<coils {
                for x in 0..<nx {
                    let z = k[c, y, x]
                    input[c, row, x + margin] = z.real * scale
                    input[coils + c, row, x + margin] = z.imaginary * scale
                }
            }
        }
        let output = network.predict(input, dilation: 1)
        var out = consume k
        let inverse = 1 / scale
        for m in 1..<r {
            for b in 0..<bases {
                let y = s + r * (firstBase + b) + m
                guard y >= 0, y < ny, !mask.acquired[y] else { continue }
                for c in 0..<coils {
                    for x in 0..<nx {
                        out[c, y, x] = Complex(output[(m - 1) * 2 * coils + c, b, x] * inverse,
                                               output[(m - 1) * 2 * coils + coils + c, b, x] * inverse)
                    }
                }
            }
        }
        return out
    }
}
