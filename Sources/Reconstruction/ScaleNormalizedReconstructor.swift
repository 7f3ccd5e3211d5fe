import MRICore

/// The reconstructor of ``ReconstructionSettings`` run on each slice scaled by the power of two
/// that brings its measured samples to unit intensity (``MRICore/IntensityScale``), the result
/// scaled back: every method, coil compression and automatic choice included, is then
/// equivariant to the data's scale (a reconstruction of `c·k` is `c` times that of `k`),
/// whatever unit a scanner or a user's array stores k-space in. A noise variance the settings
/// carry is rescaled with the data.
struct ScaleNormalizedReconstructor: Reconstructor {
    /// Validated settings.
    let settings: ReconstructionSettings
    /// The method's reconstructor at scale 1 (the settings' noise variance as given).
    let unscaled: any Reconstructor

    var replacesMeasuredLines: Bool { unscaled.replacesMeasuredLines }

    func reconstruct(_ k: consuming KSpace, _ acquisition: Acquisition) throws -> ReconstructionResult {
        let scale = IntensityScale(of: k, acquisition)
        let inner = scale.exponent == 0 ? unscaled : try settings.normalized(by: scale).methodReconstructor()
        var result = try inner.reconstruct(scale.normalized(consume k), acquisition)
        scale.restore(&result.kspace)
        return result
    }
}
