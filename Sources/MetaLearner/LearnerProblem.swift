import GRAPPA
import MRICore
import NeuralNetwork
import Numerics
import KSpaceLattice

/// One scan as the learner sees it: the ACS pairs that define `L_train`, and, for a
/// retrospectively undersampled training scan, the whole-k-space pairs that define
/// `L_test`.
///
/// Conditioning: k-space is scaled to max |ACS| = 1, and each loss is
/// divided by the mean energy of its own lines (`L_train` by `mean(Y_ACS²)`, `L_test` by
/// `mean(Y_full²)`), so that a loss of 1 means "as large as the signal" whatever the
/// scan's intensity. (Dividing `L_test` by the ACS energy, as a first version did, made
/// it ~20× smaller than `L_train`: meta-training then fitted the ACS and validation
/// NRMSE got worse while the meta-loss fell.) With a linear branch (the `residual`
/// variant) the learner's targets are what a per-scan least-squares kernel leaves over;
/// the normalisations stay those of the lines themselves.
public struct LearnerProblem: Sendable {
    /// The learner.
    public let learner: LearnerCNN
    /// Factor applied to k-space before the networks (1 / max |ACS|).
    public let scale: Float
    /// `1 / ν`, the per-scan loss normalisation.
    public let lossScale: Float
    /// The per-scan least-squares kernel (residual variant), over the learner's support.
    public let linearBranch: GrappaKernel?
    let acsColumns: Conv2D.Columns
    let acsInput: FeatureMap
    let acsTarget: FeatureMap
    /// Whole-k-space pairs (meta-training only).
    let full: WholeKSpacePairs?

    struct WholeKSpacePairs: Sendable {
        let input: FeatureMap
        let target: FeatureMap
        /// Per output row group `(m − 1)·bases + b`: whether that line lies inside the matrix.
        let lineInside: [Bool]
        let entries: Int
        /// `1 / mean(Y_full²)` over the lines themselves (not a residual).
        let lossScale: Float
    }

    /// The support of the linear branch: the learner's receptive field, three lattice
    /// lines (base − R, base, base + R) by seven readout samples.
    public static let linearBranchGeometry = GrappaKernelGeometry(readout: 7, lines: 3)

    /// Prepares `k` (acquired lines and ACS as measured; other lines are not read).
    /// `linearBranchLambda` non-nil fits the residual variant's linear branch with
    /// that relative Tikhonov weight (or one chosen for the scan). `acsReadoutWindow` limits `L_train` to that many
    /// central readout samples of the ACS (nil: all): the ACS energy is concentrated
    /// there (99.9 % within the central 128 of 288 on the shared 32-coil slice) and the
    /// T steps cost proportionally less. `truth`, a fully sampled k-space, adds `L_test`.
    public init(scan k: KSpace, _ acquisition: Acquisition, learner: LearnerCNN, linearBranchLambda: GrappaLambda? = nil,
                acsReadoutWindow: Int? = nil, truth: KSpace? = nil) throws {
        let lattice = acquisition.lattice
        let r = lattice.acceleration
        guard r == learner.acceleration else {
            throw MRIError(.invalidArgument, "the model is for R=\(learner.acceleration), the data is undersampled by R=\(r)",
                           setting: .metaModel)
        }
        guard k.coils == learner.coils else {
            throw MRIError(.invalidArgument, "the model is for \(learner.coils) coils, the k-space has \(k.coils)",
                           setting: .metaModel)
        }
        let (acs, peak) = try LatticeLineGeometry.calibrationRegion(k, acquisition, method: "the meta model")
        self.learner = learner
        let scale = 1 / peak
        self.scale = scale
        // Physical coils only: the learner's targets are the branch's estimates on blocks of ACS
        // rows cut out of the scan (``GRAPPA/GrappaKernel/estimates(onRows:of:)``), which are not
        // centred on k = 0, where the conjugate reflection is not the scan's.
        let branch = try linearBranchLambda.map { lambda in
            var grappa = Grappa(support: .fixed(Self.linearBranchGeometry), lambda: lambda)
            grappa.virtualConjugate = .off
            return try grappa.calibrate(k, acquisition)
        }
        linearBranch = branch
        let margin = LatticeLineGeometry.readoutMargin
        let window = min(k.nx, (acsReadoutWindow ?? k.nx) + 2 * margin)
        let columns = (k.nx - window) / 2..<((k.nx - window) / 2 + window)
        let (input, lines) = LatticeLineGeometry.acsPairs(k, acs: acs, acceleration: r, scale: scale, columns: columns)
        var nu = 0.0
        for v in lines.data { nu += Double(v * v) }
        nu /= Double(lines.channels * lines.height * lines.validWidth)
        guard nu > 0 else { throw MRIError(.format, "the ACS block holds no signal on the lines to estimate") }
        lossScale = Float(1 / nu)
        acsInput = input
        if let branch {
            let estimates = try branch.estimates(onRows: acs, of: k)
            (_, acsTarget) = LatticeLineGeometry.acsPairs(k, acs: acs, acceleration: r, scale: scale, columns: columns) { c, y, x, m in
                let base = y - acs.lowerBound - m
                return k[c, y, x] - estimates[base % r][c, y - acs.lowerBound, x]
            }
        } else {
            acsTarget = lines
        }
        acsColumns = learner.layers[0].convolution.columns(of: input, dilation: r)
        full = try truth.map { try Self.wholeKSpacePairs(truth: $0, lattice: lattice, scale: scale, branch: branch) }
    }

    /// Lattice-only acquisition: the acquired lines without the ACS block.
    static func latticeOnly(_ lattice: UndersamplingLattice, ny: Int) throws -> Acquisition {
        try Acquisition(mask: SamplingMask(acquired: (0..<ny).map { lattice.contains($0) }))
    }

    static func wholeKSpacePairs(truth: KSpace, lattice: UndersamplingLattice, scale: Float,
                                 branch: GrappaKernel?) throws -> WholeKSpacePairs {
        let (input, bases) = LatticeLineGeometry.latticeInput(truth, lattice: lattice, scale: scale)
        let baseline = try branch.map { try $0.apply(to: truth, latticeOnly(lattice, ny: truth.ny)) }
        let coils = truth.coils, r = lattice.acceleration, nx = truth.nx
        var target = FeatureMap(channels: 2 * coils * (r - 1), height: bases.count, width: input.width, validWidth: nx)
        var inside = [Bool](repeating: false, count: (r - 1) * bases.count)
        var entries = 0
        var energy = 0.0
        LatticeLineGeometry.forEachEstimatedLine(lattice: lattice, bases: bases, ny: truth.ny) { m, b, y in
            inside[(m - 1) * bases.count + b] = true
            entries += 2 * coils * nx
            for c in 0..<coils {
                for x in 0..<nx {
                    energy += Double(truth[c, y, x].lengthSquared * scale * scale)
                    let z = truth[c, y, x] - (baseline?[c, y, x] ?? .zero)
                    target[(m - 1) * 2 * coils + c, b, x] = z.real * scale
                    target[(m - 1) * 2 * coils + coils + c, b, x] = z.imaginary * scale
                }
            }
        }
        guard energy > 0 else { throw MRIError(.format, "the fully sampled scan has no signal on the lines to estimate") }
        return WholeKSpacePairs(input: input, target: target, lineInside: inside, entries: entries,
                                lossScale: Float(Double(entries) / energy))
    }

    /// `L_train(θ)` and its gradient, θ being `network.parameters`.
    public func trainingLoss(_ network: inout ConvNet) -> (loss: Float, gradient: [Float]) {
        let prediction = network.forward(acsInput, dilation: learner.acceleration, firstLayerColumns: acsColumns)
        let (loss, dy) = MeanSquaredError.evaluate(prediction: prediction, target: acsTarget, weight: lossScale)
        network.backward(outputGradient: dy)
        return (loss, network.gradient)
    }

    /// `L_test(θ)` and its gradient over every estimated line of the whole k-space.
    public func testLoss(_ network: inout ConvNet) -> (loss: Float, gradient: [Float]) {
        guard let full else { preconditionFailure("L_test needs the fully sampled scan") }
        let prediction = network.forward(full.input, dilation: 1)
        var dy = FeatureMap(channels: prediction.channels, height: prediction.height, width: prediction.width,
                            validWidth: prediction.validWidth)
        let bases = prediction.height, perDistance = 2 * learner.coils, g = 2 * full.lossScale / Float(full.entries)
        var sum = 0.0
        for ch in 0..<prediction.channels {
            let m = ch / perDistance
            for b in 0..<bases where full.lineInside[m * bases + b] {
                for x in 0..<prediction.validWidth {
                    let d = prediction[ch, b, x] - full.target[ch, b, x]
                    sum += Double(d * d)
                    dy[ch, b, x] = g * d
                }
            }
        }
        network.backward(outputGradient: dy)
        return (Float(sum / Double(full.entries)) * full.lossScale, network.gradient)
    }
}
