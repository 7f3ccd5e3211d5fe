import GRAPPA
@_spi(Lab) import RAKI
import KSpaceLattice
import MRICore
import NeuralNetwork
import Numerics

/// Residual RAKI, a first design (experimental; not behind `--method raki`): a linear GRAPPA
/// branch plus a CNN trained on what the branch leaves (Zhang et al., NeuroImage 2022, in
/// spirit). The estimate of a missing line is `GRAPPA(x) + α·(f(x) − f(0))`. Measured to add
/// nothing to its branch (BENCHMARKS.md, "Residual RAKI"): the branch's residual on the ACS it
/// was fitted on is not the error it makes elsewhere.
///
/// So that the CNN does not fit noise, a fifth of the ACS pairs' readout columns (blocks of
/// 8) is held out of its training: the parameters kept are those of the best held-out
/// error, and `α ∈ [0, 1]`, the least-squares weight of the CNN's answer on the held-out
/// columns, shrinks it to nothing where it does not help there. The linear branch is
/// calibrated on the whole ACS, so the held-out residuals are the branch's in-sample ones.
public struct ResidualRaki: Sendable {
    /// The linear branch.
    public var linear: Grappa
    /// The CNN and its training.
    public var raki: Raki
    /// Train on cross-fitted residuals: each half of the ACS gets the residual of a branch
    /// calibrated on the other half.
    public var crossFitted = false

    /// What a reconstruction did besides filling the lines.
    public struct Result: Sendable {
        /// The reconstructed k-space (measured lines as measured).
        public var kspace: KSpace
        /// The linear branch's kernel.
        public var kernel: GrappaKernel
        /// The weight α of the CNN's residual, in [0, 1].
        public var shrinkage: Float
        /// `1 − (held-out error with the residual) / (held-out error of the branch alone)`.
        public var heldOutGain: Double
        /// Training iterations run.
        public var iterations: Int
    }

    /// Creates residual RAKI with the given branch and CNN settings.
    public init(linear: Grappa = Grappa(), raki: Raki = Raki()) {
        self.linear = linear
        self.raki = raki
    }

    /// `acquisition`'s lattice with `block` as its only fully sampled lines.
    static func acquisition(_ acquisition: Acquisition, block: Range<Int>) throws -> Acquisition {
        try Acquisition(mask: SamplingMask(acquired: (0..<acquisition.mask.ny).map { acquisition.lattice.contains($0) || block.contains($0) }))
    }

    /// Whether readout column `x` of the ACS pairs is held out: blocks of 8, every fifth.
    static func heldOut(_ x: Int) -> Bool { (x / 8) % 5 == 2 }

    /// Calibrates the branch and trains the CNN on this scan's ACS, then fills every missing line.
    public func reconstruct(_ k: KSpace, _ acquisition: Acquisition, progress: Raki.Progress? = nil) throws -> Result {
        try raki.options.validate()
        try acquisition.requireLines(of: k)
        let r = acquisition.acceleration
        let (acs, peak) = try LatticeLineGeometry.calibrationRegion(k, acquisition, method: "residual RAKI")
        let scale = raki.options.acsPeak / peak
        let kernel = try linear.calibrate(k, acquisition)
        // The branch's ACS estimates that make the residual target of line y.
        let estimates: (Int) -> [KSpace]
        if crossFitted {
            // Each half of the ACS gets the residual of a branch calibrated on the other half:
            // the error the branch makes on lines it has not seen.
            let half = acs.count / 2
            let top = acs.lowerBound..<(acs.lowerBound + half), bottom = (acs.lowerBound + half)..<acs.upperBound
            let fromTop = try linear.calibrate(k, Self.acquisition(acquisition, block: top)).estimates(onRows: acs, of: k)
            let fromBottom = try linear.calibrate(k, Self.acquisition(acquisition, block: bottom)).estimates(onRows: acs, of: k)
            estimates = { top.contains($0) ? fromBottom : fromTop }
        } else {
            let own = try kernel.estimates(onRows: acs, of: k)
            estimates = { _ in own }
        }
        let (input, target) = LatticeLineGeometry.acsPairs(k, acs: acs, acceleration: r, scale: scale) { c, y, x, m in
            let row = y - acs.lowerBound
            return k[c, y, x] - estimates(y)[(row - m) % r][c, row, x]
        }
        let heldOut = (0..<target.validWidth).map(Self.heldOut)
        let fit = try raki.fit(input: input, target: target, heldOut: heldOut, coils: k.coils, acceleration: r,
                               acsLines: acs.count, progress: progress)
        let (shrinkage, gain) = Self.shrinkage(fit.network, input: input, target: target, heldOut: heldOut, acceleration: r)

        var out = try kernel.apply(to: k, acquisition)
        if shrinkage > 0 {
            var residual = k
            LatticeLineGeometry.fillMissingLines(&residual, with: fit.network, acquisition: acquisition, scale: scale)
            let w = Complex<Float>(shrinkage, 0)
            for y in 0..<k.ny where !acquisition.keptLines.acquired[y] {
                for c in 0..<k.coils { for x in 0..<k.nx { out[c, y, x] += w * residual[c, y, x] } }
            }
        }
        return Result(kspace: out, kernel: kernel, shrinkage: shrinkage, heldOutGain: gain, iterations: fit.iterations)
    }

    /// The least-squares weight of `f(x) − f(0)` against the residual targets on the held-out
    /// columns, clipped to [0, 1], and the relative error reduction it gives there.
    static func shrinkage(_ network: ConvNet, input: FeatureMap, target: FeatureMap, heldOut: [Bool],
                          acceleration r: Int) -> (Float, Double) {
        let prediction = network.predict(input, dilation: r)
        let offsets = network.zeroResponse()
        var (cross, power, baseline) = (0.0, 0.0, 0.0)
        for channel in 0..<target.channels {
            for row in 0..<target.height {
                for x in 0..<target.validWidth where heldOut[x] {
                    let p = Double(prediction[channel, row, x] - offsets[channel]), t = Double(target[channel, row, x])
                    cross += p * t
                    power += p * p
                    baseline += t * t
                }
            }
        }
        guard power > 0, baseline > 0 else { return (0, 0) }
        let alpha = min(1, max(0, cross / power))
        let after = baseline - 2 * alpha * cross + alpha * alpha * power
        return (Float(alpha), 1 - after / baseline)
    }
}
