import Foundation
import GRAPPA
import MRICore
import MRIIO
import Testing
import TestSupport

/// NRMSE on the real and simulated scans in ../shared/data must be no worse than the
/// numpy GRAPPA table of shared/data/README.md (rounded to 3 decimals there).
@Suite struct SharedDataAccuracyTests {
    static let cases: [(String, Int, Int, Double)] = [
        ("brain_16ch_96x96_mchiew.npy", 24, 2, 0.006), ("brain_16ch_96x96_mchiew.npy", 24, 3, 0.011),
        ("brain_16ch_96x96_mchiew.npy", 24, 4, 0.021),
        ("phantom_8ch_256x256_bydder.npy", 32, 2, 0.026), ("phantom_8ch_256x256_bydder.npy", 32, 3, 0.058),
        ("phantom_8ch_256x256_bydder.npy", 32, 4, 0.148),
        ("sim_brain_32ch_288x288_ch2.npy", 32, 2, 0.021), ("sim_brain_32ch_288x288_ch2.npy", 32, 3, 0.029),
        ("sim_brain_32ch_288x288_ch2.npy", 32, 4, 0.037),
    ]

    @Test(arguments: cases)
    func nrmseNoWorseThanTheReferenceTable(file: String, acs: Int, r: Int, reference: Double) throws {
        let path = sharedData(file)
        try #require(FileManager.default.fileExists(atPath: path), "shared data missing: \(path)")
        let (full, _) = try NpyFile.readKSpace(path)
        let mask = try Acquisition.uniform(ny: full.ny, acceleration: r, acsLines: acs)
        let out = try Grappa.classic.reconstruct(full.masked(by: mask.mask), mask)
        let nrmse = ImageMetrics.nrmse(CenteredFFT.rssImage(of: out), CenteredFFT.rssImage(of: full))
        #expect(nrmse <= reference + 0.0005, "\(file) R=\(r): NRMSE \(nrmse) vs reference \(reference)")
        let zeroFilled = ImageMetrics.nrmse(CenteredFFT.rssImage(of: full.masked(by: mask.mask)), CenteredFFT.rssImage(of: full))
        if file.hasPrefix("brain") || file.hasPrefix("sim") { #expect(nrmse < zeroFilled / 4) }
    }
}
