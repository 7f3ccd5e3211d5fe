import Foundation
@_spi(Lab) import GRAPPA
import MRICore
import MRIIO
import Testing

/// The development brain of ../shared (16 coils, 96², in-vivo, signal-free image corners):
/// GRAPPA's noise estimate against the variance of its coil images' 6 × 6 corners, an
/// independent measure of the same noise (itself uncertain by tens of per cent: 10 × 10
/// corners give 1.3× as much). Estimating with the rule on 8 virtual coils (2.5–3.8×) or with
/// 3-sample kernels at R = 4–6 (1.5–6.9×) fails this. The repository's own real brain has
/// signal up to its corners and cannot serve.
@Suite struct SharedBrainNoiseTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "../../../../shared/data/brain_16ch_96x96_mchiew.npy").standardized.path

    @Test(.enabled(if: FileManager.default.fileExists(atPath: path), "needs ../shared/data"))
    func noiseEstimateOfARealScanMatchesItsImageBackground() throws {
        let k = try KSpaceFiles.readSlice(Self.path)
        let background = CenteredFFT.image(from: k).cornerVariance(size: 6)
        for r in [2, 4, 6] {
            let acquisition = try Acquisition.uniform(ny: k.ny, acceleration: r, acsLines: 24)
            let estimated = try GrappaRegularizationRisk.noiseVariance(k.masked(by: acquisition.mask), acquisition)
            #expect(estimated > 0.7 * background && estimated < 1.3 * background, "R \(r): estimated \(estimated), background \(background)")
        }
    }
}
