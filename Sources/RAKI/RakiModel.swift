import KSpaceLattice
import MRICore
import NeuralNetwork
import Numerics

/// A RAKI network trained on one scan, with the scaling it was trained at.
public struct RakiModel: Sendable {
    /// The trained network.
    public let network: ConvNet
    /// A linear path trained with it, added to its estimates (``Raki/Options/linearPath``).
    public let linearPath: ConvNet?
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

    /// Fills every missing line of `k` with `f(x) − f(0)` (the network's answer to the
    /// acquired lines, less its answer to zero data), keeping acquired lines as measured. The network
    /// runs on the acquired lattice lines only (stacked, so its row dilation becomes 1),
    /// zero-padded by one lattice line and by 3 readout samples on each side, so that
    /// lines and samples near the edges are estimated too.
    public func apply(to k: consuming KSpace, _ acquisition: Acquisition) throws -> KSpace {
        guard k.coils == coils else {
            throw MRIError(.invalidArgument, "RAKI network was trained for \(coils) coils, the k-space has \(k.coils)")
        }
        guard acquisition.acceleration == acceleration else {
            throw MRIError(.invalidArgument,
                           "RAKI network was trained for R=\(acceleration), the data is undersampled by R=\(acquisition.acceleration)")
        }
        try acquisition.requireLines(of: k)
        var out = consume k
        LatticeLineGeometry.fillMissingLines(&out, with: network, acquisition: acquisition, scale: scale)
        if let linearPath {
            LatticeLineGeometry.fillMissingLines(&out, with: linearPath, acquisition: acquisition, scale: scale, add: true)
        }
        return out
    }
}
