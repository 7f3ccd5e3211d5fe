import Compute
import Foundation
import KSpaceLattice
import MRICore
import NeuralNetwork
import Numerics

/// RAKI (Akçakaya et al., MRM 2019): a three-layer CNN trained for each scan on its own
/// ACS to estimate the missing lines from the acquired ones.
///
/// Complex k-space enters as `2·coils` real channels (real parts, then imaginary parts).
/// Layer 1: 2C → h₁, 2 × 5, rows dilated by R; ReLU. Layer 2: h₁ → h₂, 1 × 1; ReLU.
/// Layer 3: h₂ → 2C·(R−1), 2 × 3, dilated by R; (h₁, h₂) = (64, 32) by default, wider than
/// RAKI's (32, 8) because one network gives all outputs. So an estimate reads the acquired lines
/// at lattice offsets −1, 0, +1 around a base line and ±3 readout samples, and gives all
/// coils' R−1 lines below the base at once (one network, joint outputs).
public struct Raki: Sendable {
    /// Training settings.
    public struct Options: Sendable, Equatable {
        /// Most Adam iterations; nil chooses ``automaticIterations(coils:acsLines:readout:acceleration:)``.
        public var iterations: Int?
        /// Adam step size.
        public var learningRate: Float = 3e-3
        /// Seed of the initial weights.
        public var seed: UInt64 = 1
        /// Stop when the loss has not improved by `plateauTolerance` (relative) over this many iterations.
        public var plateauWindow: Int = 100
        /// Relative improvement that counts as progress.
        public var plateauTolerance: Float = 1e-3
        /// Channels of the two hidden layers. RAKI's (32, 8) were for one network per output
        /// channel; one network for all 2C·(R−1) outputs needs more (measured: BENCHMARKS.md).
        public var hiddenChannels: (Int, Int) = (64, 32)
        /// The ACS is scaled to this peak magnitude before training (and the scaling undone after).
        public var acsPeak: Float = 1
        /// Learned biases in the convolutions (measured better than none: BENCHMARKS.md).
        public var bias = true
        /// Use identity activations (a linear network; for tests and comparisons with GRAPPA).
        public var linear = false
        /// Add a linear path to the network, a 3-line × 7 convolution of the lattice lines
        /// trained jointly with it (residual RAKI in the manner of Zhang et al. 2022; experimental,
        /// BENCHMARKS.md).
        public var linearPath = false
        /// Relative ridge of the first layer's input whitening (``InputWhitening``); nil trains
        /// on the raw input. 10 was best of 0.3…30 on simulated phantoms (three arrays,
        /// R = 2, 3, 4; not the shared files): BENCHMARKS.md.
        public var whiteningRidge: Float? = 10

        /// Most channels of a hidden layer.
        public static let maximumHiddenChannels = 4096

        /// Default options.
        public init() {}

        public static func == (a: Options, b: Options) -> Bool {
            a.iterations == b.iterations && a.learningRate == b.learningRate && a.seed == b.seed
                && a.plateauWindow == b.plateauWindow && a.plateauTolerance == b.plateauTolerance
                && a.hiddenChannels == b.hiddenChannels && a.linear == b.linear && a.acsPeak == b.acsPeak && a.bias == b.bias
                && a.whiteningRidge == b.whiteningRidge && a.linearPath == b.linearPath
        }

        /// The default iteration count: as many as ``Raki/automaticBudget`` floating-point
        /// operations allow for this problem's shape, between 100 and 1500. It depends on
        /// the shape only, so results stay reproducible (it is not a clock). The cap of 1500
        /// keeps the 8-coil 256² scan at R = 2, whose small products run at ~28 GFLOP/s,
        /// under 30 s (2000 took 35 s).
        public func automaticIterations(coils: Int, acsLines: Int, readout: Int, acceleration r: Int) -> Int {
            let (h1, h2) = hiddenChannels
            let out1 = Double((acsLines - r) * readout), out3 = Double((acsLines - 2 * r) * readout)
            // Forward, weight gradient and (but for layer 1) input gradient: 2 FLOPs per multiply-add.
            let layer1 = 2 * 2 * Double(2 * coils * 10 * h1) * out1
            let layer2 = 3 * 2 * Double(h1 * h2) * out1
            let layer3 = 3 * 2 * Double(h2 * 6 * 2 * coils * (r - 1)) * out3
            let fit = Int(Raki.automaticBudget / (layer1 + layer2 + layer3))
            return min(1500, max(100, fit))
        }

        /// Throws a clear error for out-of-range settings.
        public func validate() throws {
            if let iterations, iterations < 1 {
                throw MRIError(.invalidArgument, "the number of iterations must be at least 1, found \(iterations)", setting: .iterations)
            }
            guard learningRate > 0, learningRate.isFinite else {
                throw MRIError(.invalidArgument, "RAKI's learning rate must be a positive number, found \(learningRate)",
                               setting: .learningRate)
            }
            guard plateauWindow >= 1 else {
                throw MRIError(.invalidArgument, "RAKI's plateau window must be at least 1 iteration, found \(plateauWindow)",
                               setting: .plateauWindow)
            }
            guard (1...Self.maximumHiddenChannels).contains(hiddenChannels.0),
                  (1...Self.maximumHiddenChannels).contains(hiddenChannels.1) else {
                throw MRIError(.invalidArgument,
                               "RAKI's hidden layers must have 1…\(Self.maximumHiddenChannels) channels each, found \(hiddenChannels.0),\(hiddenChannels.1)",
                               setting: .hiddenChannels)
            }
            guard acsPeak > 0, acsPeak.isFinite else {
                throw MRIError(.invalidArgument, "RAKI's ACS peak must be a positive number, found \(acsPeak)")
            }
            if let ridge = whiteningRidge, !(ridge > 0 && ridge.isFinite) {
                throw MRIError(.invalidArgument, "the whitening ridge must be a positive number (or none), found \(ridge)",
                               setting: .whiteningRidge)
            }
        }
    }

    /// Settings.
    public var options: Options

    /// Creates a RAKI reconstructor.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// One training progress report: iteration (1-based), the most iterations that will
    /// run, loss, and whether it is the last.
    public typealias Progress = (_ iteration: Int, _ maxIterations: Int, _ loss: Float, _ done: Bool) -> Void

    /// Training progress on stderr (iteration, loss, ETA) when stderr is a terminal, nil
    /// otherwise (a pipeline's log gets no carriage-return lines).
    public static func terminalProgress() -> Progress? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        let clock = Stopwatch()
        return { iteration, maxIterations, loss, done in
            guard iteration % 10 == 0 || done else { return }
            let elapsed = clock.seconds
            // An upper bound: a loss plateau may end training earlier.
            let eta = elapsed / Double(iteration) * Double(maxIterations - iteration)
            let line = done
                ? String(format: "\rRAKI %d iterations, loss %.3e, %.1f s            \n", iteration, loss, elapsed)
                : String(format: "\rRAKI iteration %d/%d  loss %.3e  ETA ≤ %.0f s ", iteration, maxIterations, loss, eta)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// Trains on the ACS of `k` and fills every missing line; measured lines are returned
    /// as measured.
    public func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition, progress: Progress? = nil) throws -> KSpace {
        let model = try train(k, acquisition, progress: progress)
        return try model.apply(to: k, acquisition)
    }

    /// Trains a network on the acquisition's ACS block of `k`.
    public func train(_ k: KSpace, _ acquisition: Acquisition, progress: Progress? = nil) throws -> RakiModel {
        try options.validate()
        try acquisition.requireLines(of: k)
        let r = acquisition.acceleration
        let (acs, peak) = try LatticeLineGeometry.calibrationRegion(k, acquisition, method: "RAKI")
        let scale = options.acsPeak / peak
        let (input, target) = LatticeLineGeometry.acsPairs(k, acs: acs, acceleration: r, scale: scale)
        let fit = try fit(input: input, target: target, coils: k.coils, acceleration: r, acsLines: acs.count, progress: progress)
        return RakiModel(network: fit.network, linearPath: fit.linearPath, acceleration: r, coils: k.coils, scale: scale,
                         finalLoss: fit.loss, iterations: fit.iterations)
    }

    /// Training arithmetic for the automatic iteration count: 22 s at the 45 GFLOP/s
    /// measured on the 2-core machine of BENCHMARKS.md for 32 coils (fewer coils run
    /// smaller, slower products: 8 coils took 1.3× longer per FLOP), so that every shared
    /// scan trains in under 30 s there.
    public static let automaticBudget = 22 * 45e9

    /// The three layers for `coils` coils at acceleration `r`.
    static func layers(coils: Int, acceleration r: Int, options: Options) -> [ConvNet.Layer] {
        let (h1, h2) = options.hiddenChannels
        let act: Activation = options.linear ? .identity : .relu
        return [
            .init(Conv2D(inChannels: 2 * coils, outChannels: h1, kernelHeight: 2, kernelWidth: 5, bias: options.bias), act),
            .init(Conv2D(inChannels: h1, outChannels: h2, kernelHeight: 1, kernelWidth: 1, bias: options.bias), act),
            .init(Conv2D(inChannels: h2, outChannels: 2 * coils * (r - 1), kernelHeight: 2, kernelWidth: 3, bias: options.bias),
                  .identity),
        ]
    }
}
