import Foundation
import CoilSensitivity
import Compute
import MRICore
import Numerics

/// λ of the sparse reconstruction: relative to the data's intensity (``SparseSenseReconstruction/dataScale(_:_:)``),
/// so that the same value suits a scan whatever its units, or chosen per scan.
public enum SparseLambda: Sendable, Equatable {
    case automatic
    case relative(Float)
}

/// One slice by SENSE with l1-wavelet sparsity: ESPIRiT maps from the ACS, then
/// argmin_x ½‖P F S x − y‖² + λ‖W x‖₁ (``SparseSense``), then the coil k-space F S x — the
/// regularised solution on every line, measured ones included (it is a denoised estimate of
/// them), or with the measured lines put back as measured (`keepMeasured`). Outside the
/// maps' support the coil images are zero.
public struct SparseSenseReconstruction: Sendable {
    public var espirit = Espirit()
    public var lambda = SparseLambda.automatic
    /// Most FISTA iterations.
    public var iterations = 100
    /// Put the measured lines back as measured.
    public var keepMeasured = false
    /// Seed of the wavelet shifts.
    public var seed: UInt64 = 1
    /// The noise variance of one k-space sample of one coil, which the automatic λ needs
    /// (nil: the automatic λ is ``defaultRelativeLambda``).
    public var noiseVariance: Double?

    public init() {}

    public struct Result: Sendable {
        /// The coil k-space, shaped like the input.
        public var kspace: KSpace
        /// The combined image x (what `pics` returns).
        public var image: [Complex<Float>]
        /// The maps x is combined with.
        public var maps: SensitivityMaps
        /// λ relative to the data's intensity, and in the data's units.
        public var relativeLambda: Float
        public var absoluteLambda: Float
        public var iterations: Int
        /// Seconds computing the maps (the rest is the solver and the transforms).
        public var seconds: (maps: Double, total: Double)
    }

    /// Throws a clear error for settings out of range.
    public func validate() throws {
        guard iterations >= 1 else {
            throw MRIError(.invalidArgument, "the number of iterations must be at least 1, found \(iterations)", setting: .iterations)
        }
        if case let .relative(value) = lambda, !(value.isFinite && value >= 0) {
            throw MRIError(.invalidArgument, "regularisation must be a finite number ≥ 0, found \(value)", setting: .lambda)
        }
    }

    /// Scans of more coils are reconstructed on this many SVD virtual coils. Measured on a
    /// 32-coil 288² brain slice (Colin27 z = 40, noise 0.005, R = 4 and 6): 16 virtual coils
    /// had 1.000× and 1.003× the error of all 32 in 0.4× the time; 12 had 1.01×, 8 1.12–1.18×.
    public static let largestCoilCount = 16

    /// The λ_rel of an automatic choice without a noise variance.
    public static let defaultRelativeLambda: Float = 0.005

    public func reconstruct(_ k: KSpace, _ acquisition: Acquisition) throws -> Result {
        try validate()
        let clock = Stopwatch()
        let maps = try espirit.maps(of: k, calibrationLines: acquisition.autoCalibrationLines)
        let mapSeconds = clock.seconds
        let a = SenseOperator(maps: maps, measured: acquisition.mask.acquired)
        let aty = a.adjoint(k)
        let scale = Self.dataScale(k, acquisition)
        let relative: Float = switch lambda {
        case .automatic:
            noiseVariance.map { SparseLambdaRule.relativeLambda(noiseToIntensity: $0.squareRoot() / Double(scale),
                                                                measuredFraction: Double(acquisition.mask.acquiredCount) / Double(k.ny)) }
                ?? Self.defaultRelativeLambda
        case let .relative(value): value
        }
        var solver = SparseSense(lambda: relative * scale)
        solver.iterations = iterations
        solver.seed = seed
        let (x, done) = solver.solve(a, adjointData: aty)
        var out = CenteredFFT.kspace(from: a.coilImages(x))
        if keepMeasured { acquisition.restoreKeptLines(of: k, into: &out) }
        return Result(kspace: out, image: x, maps: maps, relativeLambda: relative, absoluteLambda: relative * scale, iterations: done,
                      seconds: (mapSeconds, clock.seconds))
    }

    /// The data's intensity: the 90th percentile of the root-sum-of-squares image of the ACS
    /// lines alone (a low-resolution image, at the full image's scale whatever R).
    public static func dataScale(_ k: KSpace, _ acquisition: Acquisition) -> Float {
        let acs = SamplingMask(acquired: (0..<k.ny).map(acquisition.autoCalibrationLines.contains))
        let pixels = CenteredFFT.rssImage(of: k.masked(by: acs)).pixels.sorted()
        return max(pixels[min(pixels.count - 1, pixels.count * 9 / 10)], .leastNormalMagnitude)
    }
}

/// The automatic λ: log λ_rel = a + b·log s + c·log f + d·log s·log f, with s = σ/scale the
/// noise standard deviation of one k-space sample over the data's intensity
/// (``SparseSenseReconstruction/dataScale(_:_:)``) and f the fraction of lines measured.
/// Fitted (least squares on the log of each scan's best λ, interpolated on a grid of 15 from
/// 1e-4 to 0.045) over 60 simulated scans: Colin27 slices z = 25, 45, 65, 85 through the
/// paper's 32-loop array, noise 0.002, 0.005 and 0.0125, R = 2, 3, 4, 6, 8, 32 ACS lines (Lab
/// `cs-lambda-sweep`). Fitted on three slices and tried on the fourth, its error was 1.009×
/// the grid's best on average and 1.039× at most. More noise wants a larger λ; fewer measured
/// lines a smaller one (the data term's gradient is smaller and the prior's bias costs more).
public enum SparseLambdaRule {
    public static let intercept = 0.886
    public static let noiseExponent = 1.093
    public static let fractionExponent = 0.360
    public static let interaction = -0.289

    /// λ_rel for noise `noiseToIntensity` (σ/scale) and measured fraction `measuredFraction`.
    public static func relativeLambda(noiseToIntensity s: Double, measuredFraction f: Double) -> Float {
        guard s > 0, s.isFinite, f > 0 else { return SparseSenseReconstruction.defaultRelativeLambda }
        let (ls, lf) = (log(s), log(f))
        let value = exp(intercept + noiseExponent * ls + fractionExponent * lf + interaction * ls * lf)
        return Float(min(max(value, 1e-5), 0.5))
    }
}
