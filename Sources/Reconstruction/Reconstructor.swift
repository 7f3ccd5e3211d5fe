import GRAPPA
import MRICore

/// Something that fills the missing lines of one slice: GRAPPA, GRAPPA with a given kernel,
/// RAKI, Meta-GRAPPA, or coil compression around any of them.
///
/// The slice comes with its ``MRICore/Acquisition``, checked once where the data entered;
/// a reconstructor trusts it. Lines the acquisition keeps are returned as measured, unless
/// ``replacesMeasuredLines``.
public protocol Reconstructor: Sendable {
    /// Reconstructs `k` (measured lines as measured; missing lines are not read).
    func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult
    /// Whether the measured lines come back as the reconstruction estimates them rather than
    /// as measured (a regularised solution denoises them); wrappers then leave them so.
    var replacesMeasuredLines: Bool { get }
}

extension Reconstructor {
    public var replacesMeasuredLines: Bool { false }
}

/// A reconstructed slice and what it cost.
public struct ReconstructionResult: Sendable {
    /// The reconstructed k-space, shaped like the input.
    public var kspace: KSpace
    /// Seconds spent per stage.
    public var timings: StageTimings
    /// The GRAPPA kernel that filled the slice, when a linear GRAPPA kernel did (for g-factor maps).
    public var grappaKernel: GrappaKernel?
    /// The sparse reconstruction's λ relative to the data's intensity, when it ran.
    public var sparseLambda: Float?

    /// Creates a result.
    public init(kspace: KSpace, timings: StageTimings, grappaKernel: GrappaKernel? = nil, sparseLambda: Float? = nil) {
        self.kspace = kspace
        self.timings = timings
        self.grappaKernel = grappaKernel
        self.sparseLambda = sparseLambda
    }
}

/// Wall-clock seconds of a reconstruction's two stages.
public struct StageTimings: Sendable, Equatable {
    /// Calibration, training or adaptation on the ACS (coil compression's fit included).
    public var calibration: Double
    /// Filling the missing lines (coil expansion included).
    public var application: Double

    /// Creates timings.
    public init(calibration: Double = 0, application: Double = 0) {
        self.calibration = calibration
        self.application = application
    }

    /// Both stages.
    public var total: Double { calibration + application }

    /// Stage-wise sum.
    public static func + (a: StageTimings, b: StageTimings) -> StageTimings {
        StageTimings(calibration: a.calibration + b.calibration, application: a.application + b.application)
    }
}
