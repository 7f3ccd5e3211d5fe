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

/// The library's GRAPPA against the independent numpy GRAPPA of Benchmarks/reference (explicit
/// calibration matrix, numpy's solver, a zero-padded k-space convolution) with the same
/// kernel, λ and mask, on real scans: every estimated sample and the image error agree, so a
/// change of a few per cent in either would fail.
@Suite struct NumpyReferenceGrappaTests {
    @Test(arguments: [("brain_16ch_96x96_mchiew.npy", 3, 24, Grappa.Solver.cholesky), ("brain_16ch_96x96_mchiew.npy", 5, 24, .cholesky),
                      ("phantom_8ch_256x256_bydder.npy", 3, 32, .cholesky), ("brain_16ch_96x96_mchiew.npy", 3, 24, .qr),
                      ("phantom_8ch_256x256_bydder.npy", 3, 32, .qr)])
    func equalsTheNumpyReference(file: String, r: Int, acs: Int, solver: Grappa.Solver) throws {
        let path = sharedData(file)
        try #require(FileManager.default.fileExists(atPath: path), "shared data missing: \(path)")
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let script = packageRoot + "/Benchmarks/reference/grappa_numpy.py"
        let run = try runProcess("/usr/bin/env", ["python3", script, path, "--accel", "\(r)", "--acs", "\(acs)", "--lam", "1e-4",
                                                  "--repeat", "1", "--out", dir.file("numpy.npy")])
        try #require(run.status == 0, "\(run.stderr)")
        let (full, _) = try NpyFile.readKSpace(path)
        let acquisition = try Acquisition.uniform(ny: full.ny, acceleration: r, acsLines: acs)
        var grappa = Grappa.classic
        grappa.solver = solver
        let ours = try grappa.reconstruct(full, acquisition)
        let numpy = try NpyFile.readKSpace(dir.file("numpy.npy")).kspace
        // The estimated samples (measured ones are equal by construction) agree to 0.3 % in norm.
        var difference = 0.0, estimated = 0.0
        for c in 0..<full.coils { for y in 0..<full.ny where !acquisition.mask.acquired[y] { for x in 0..<full.nx {
            difference += Double((ours[c, y, x] - numpy[c, y, x]).lengthSquared)
            estimated += Double(numpy[c, y, x].lengthSquared)
        } } }
        #expect((difference / estimated).squareRoot() < 3e-3, "\(file) R=\(r) \(solver): relative difference \((difference / estimated).squareRoot())")
        let reference = CenteredFFT.rssImage(of: full)
        let (a, b) = (ImageMetrics.nrmse(CenteredFFT.rssImage(of: ours), reference),
                      ImageMetrics.nrmse(CenteredFFT.rssImage(of: numpy), reference))
        #expect(abs(a - b) / b < 0.005, "\(file) R=\(r): NRMSE \(a) vs numpy \(b)")
    }
}
