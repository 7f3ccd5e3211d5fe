import Foundation
import GRAPPA
import MRICore
import MRIIO
import Simulation
import Testing
import TestSupport

/// `recon` over multi-slice files of every format.
@Suite struct VolumeReconTests {
    /// A 3-slice volume written as .npy, .cfl and fastMRI .h5 reconstructs to the same
    /// samples in each, each slice equal to the library's reconstruction of that slice.
    @Test func sameReconstructionFromEveryFormat() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let slices = try (0..<3).map { try PhantomSimulator(ny: 48, nx: 40, coils: 6, seed: UInt64(20 + $0)).simulate().noisy }
        for name in ["v.npy", "v.cfl", "v.h5"] { try writeVolume(slices, to: dir.file(name)) }
        let mask = try Acquisition.uniform(ny: 48, acceleration: 3, acsLines: 16)
        let expected = try slices.map { try Grappa().reconstruct($0.masked(by: mask.mask), mask) }
        for input in ["v.npy", "v.cfl", "v.h5"] {
            for output in ["o.npy", "o.cfl", "o.h5"] {
                let out = dir.file("\(input)-\(output)")
                let r = try metagrappa("recon", dir.file(input), "-o", out, "--accel", "3", "--acs", "16")
                try #require(r.status == 0, "\(input) → \(output): \(r.stderr)")
                let reader = try KSpaceFiles.openReader(out)
                #expect(reader.slices == 3, "\(input) → \(output)")
                for i in 0..<3 { #expect(try reader.readSlice(i) == expected[i], "\(input) → \(output) slice \(i)") }
            }
        }
        // One slice of a volume, and the errors around slices.
        let one = try metagrappa("recon", dir.file("v.h5"), "-o", dir.file("s2.npy"), "--slice", "2", "--accel", "3", "--acs", "16")
        #expect(one.status == 0, "\(one.stderr)")
        #expect(try NpyFile.readKSpace(dir.file("s2.npy")).kspace == expected[2])
        let outside = try metagrappa("recon", dir.file("v.h5"), "-o", dir.file("bad.npy"), "--slice", "3", "--accel", "3")
        #expect(outside.status == 64 && outside.stderr.contains("has 3 slices"), "\(outside.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("bad.npy")))
        // A picture of a volume is a montage of its slices (python/tests/test_images.py checks its tiles).
        let png = try metagrappa("recon", dir.file("v.cfl"), "-o", dir.file("all.npy"), "--png", dir.file("x.png"), "--accel", "3")
        #expect(png.status == 0, "\(png.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.file("x.png")))
    }

    /// A slice with a NaN in the middle of a volume: an error naming the slice, and no
    /// output file (not the slices before it).
    @Test func badSliceLeavesNoOutput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var bad = try PhantomSimulator(ny: 32, nx: 24, coils: 4, seed: 7).simulate().noisy
        bad.data[100] = .init(.nan, 0)
        let good = try PhantomSimulator(ny: 32, nx: 24, coils: 4, seed: 8).simulate().noisy
        try writeVolume([good, bad], to: dir.file("v.h5"))
        let r = try metagrappa("recon", dir.file("v.h5"), "-o", dir.file("o.h5"), "--accel", "2", "--acs", "8")
        #expect(r.status == 65 && r.stderr.contains("slice 1") && r.stderr.contains("NaN"), "\(r.stderr)")
        #expect(listing(dir) == ["v.h5"])
    }

    /// ISMRMRD's accelerated phantom (128², 8 coils; R = 4 lattices in 4 repetitions, 32 calibration lines)
    /// reconstructs from its own sampling pattern far below the zero-filled error; the
    /// reference is its fully sampled twin (noise-free, same phantom).
    @Test func ismrmrdPhantomAtR4() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try generateIsmrmrdPhantom(dir.file("full.h5"), matrix: 128, coils: 8)
        try generateIsmrmrdPhantom(dir.file("acc.h5"), acceleration: 4, matrix: 128, coils: 8, calibration: 32)
        let r = try metagrappa("recon", dir.file("acc.h5"), "-o", dir.file("out.npy"))
        try #require(r.status == 0, "\(r.stderr)")
        let reference = CenteredFFT.rssImage(of: try KSpaceFiles.readSlice(dir.file("full.h5")))
        let acquired = try KSpaceFiles.openReader(dir.file("acc.h5"))
        let out = try KSpaceFiles.openReader(dir.file("out.npy"))
        #expect(out.slices == 4)
        for s in 0..<4 {
            let nrmse = ImageMetrics.nrmse(CenteredFFT.rssImage(of: try out.readSlice(s)), reference)
            let zeroFilled = ImageMetrics.nrmse(CenteredFFT.rssImage(of: try acquired.readSlice(s)), reference)
            #expect(nrmse < zeroFilled / 3, "repetition \(s): GRAPPA \(nrmse), zero-filled \(zeroFilled)")
        }
    }

    /// `calibrate` on one slice, `recon --kernel` on all: the calibration slice comes out as
    /// with per-slice calibration, every slice as the library applying that one kernel.
    @Test func calibrateOnceApplyToEverySlice() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let slices = try (0..<2).map { try PhantomSimulator(ny: 48, nx: 40, coils: 6, seed: UInt64(30 + $0)).simulate().noisy }
        try writeVolume(slices, to: dir.file("v.cfl"))
        let c = try metagrappa("calibrate", dir.file("v.cfl"), "-o", dir.file("k.kernel"), "--slice", "1", "--accel", "3", "--acs", "16")
        try #require(c.status == 0, "\(c.stderr)")
        let r = try metagrappa("recon", dir.file("v.cfl"), "-o", dir.file("o.npy"), "--kernel", dir.file("k.kernel"), "--accel", "3", "--acs", "16")
        try #require(r.status == 0, "\(r.stderr)")
        let mask = try Acquisition.uniform(ny: 48, acceleration: 3, acsLines: 16)
        let kernel = try Grappa().calibrate(slices[1].masked(by: mask.mask), mask)
        #expect(try GrappaKernel.read(dir.file("k.kernel")) == kernel)
        let out = try KSpaceFiles.openReader(dir.file("o.npy"))
        for i in 0..<2 { #expect(try out.readSlice(i) == kernel.apply(to: slices[i].masked(by: mask.mask), mask), "slice \(i)") }
        // Kernels that do not fit are refused before anything is written.
        for (args, phrase) in [(["--accel", "2"], "R=3"), (["--accel", "3", "--method", "raki"], "--method grappa"),
                               (["--accel", "3", "--virtual-coils", "4"], "--virtual-coils")] {
            let bad = try runProcess(metagrappaPath, ["recon", dir.file("v.cfl"), "-o", dir.file("bad.npy"), "--kernel", dir.file("k.kernel")] + args)
            #expect(bad.status == 64 && bad.stderr.contains(phrase), "\(args): \(bad.stderr)")
        }
        try NpyFile.write(try PhantomSimulator(ny: 48, nx: 40, coils: 4, seed: 1).simulate().noisy, to: dir.file("four.npy"))
        let coils = try metagrappa("recon", dir.file("four.npy"), "-o", dir.file("bad.npy"), "--kernel", dir.file("k.kernel"), "--accel", "3")
        #expect(coils.status == 64 && coils.stderr.contains("6 coils"), "\(coils.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("bad.npy")))
    }

    /// `calibrate` on an ISMRMRD file with a noise acquisition: the automatic λ is the one for
    /// the noise acquisition's variance (h5py's mean |n|²; equal dwell times), as the library
    /// gives it on the physical coils; `--noise-variance` overrides it.
    @Test func calibrateUsesTheNoiseAcquisitions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try generateIsmrmrdPhantom(dir.file("acc.h5"), acceleration: 2, matrix: 64, coils: 4, noise: 0.05)
        let py = try runPython("""
            import h5py, numpy as np
            for rec in h5py.File('\(dir.file("acc.h5"))', 'r')['dataset/data']:
                if rec['head']['flags'] & (1 << 18):
                    print(np.mean(np.abs(rec['data'].view(np.complex64).astype(np.complex128)) ** 2))
            """)
        let variance = try #require(Double(py.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(py.stderr)")
        let c = try metagrappa("calibrate", dir.file("acc.h5"), "-o", dir.file("k.kernel"), "--slice", "0")
        try #require(c.status == 0, "\(c.stderr)")
        #expect(c.stderr.contains(String(format: "noise variance per sample from the noise data: %.3g", variance)), "\(c.stderr)")
        let reader = try KSpaceFiles.openReader(dir.file("acc.h5"))
        let a = try Acquisition(mask: try #require(try reader.acquiredLines(slice: 0)))
        var grappa = Grappa()
        grappa.noiseVariance = variance
        let expected = try grappa.calibrate(reader.readSlice(0), a)
        let written = try GrappaKernel.read(dir.file("k.kernel"))
        #expect(written.geometry == expected.geometry && abs(written.lambda / expected.lambda - 1) < 1e-6,
                "\(written.geometry) λ \(written.lambda), library \(expected.geometry) λ \(expected.lambda)")
        let given = try metagrappa("calibrate", dir.file("acc.h5"), "-o", dir.file("g.kernel"), "--slice", "0",
                                   "--noise-variance", "\(1000 * variance)")
        try #require(given.status == 0, "\(given.stderr)")
        #expect(!given.stderr.contains("from the noise data"))
        #expect(try GrappaKernel.read(dir.file("g.kernel")).lambda > written.lambda)
    }

    /// `--virtual-coils`: the output keeps the physical coils and the measured samples,
    /// and with all coils kept it equals the uncompressed reconstruction to rounding.
    @Test func virtualCoilsKeepShapeAndMeasuredSamples() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let full = try NpyFile.readKSpace(dir.file("full.npy")).kspace
        let mask = try Acquisition.uniform(ny: 64, acceleration: 2, acsLines: 16)
        for n in [8, 4] {
            let r = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("cc\(n).npy"), "--accel", "2", "--acs", "16",
                                   "--virtual-coils", "\(n)")
            try #require(r.status == 0, "\(r.stderr)")
        }
        let plain = try Grappa().reconstruct(full.masked(by: mask.mask), mask)
        let all = try NpyFile.readKSpace(dir.file("cc8.npy")).kspace
        let four = try NpyFile.readKSpace(dir.file("cc4.npy")).kspace
        let scale = plain.data.reduce(Float(0)) { max($0, $1.length) }
        #expect(maxAbsDifference(all.data, plain.data) < 1e-3 * scale)
        #expect(four.shape == full.shape)
        for c in 0..<8 { for y in 0..<64 where mask.mask.acquired[y] { for x in 0..<48 { #expect(four[c, y, x] == full[c, y, x]) } } }
        let bad = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("bad.npy"), "--accel", "2", "--virtual-coils", "9")
        #expect(bad.status == 64 && bad.stderr.contains("1…8"), "\(bad.stderr)")
    }

    /// `--gfactor` writes one map per slice, equal to the library's map of each slice's kernel.
    @Test func gfactorMapsPerSlice() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let slices = try (0..<2).map { try PhantomSimulator(ny: 48, nx: 40, coils: 6, seed: UInt64(40 + $0)).simulate().noisy }
        try NpyFile.write(slices[0], to: dir.file("one.npy"))
        try writeVolume(slices, to: dir.file("v.npy"))
        let r = try metagrappa("recon", dir.file("v.npy"), "-o", dir.file("o.npy"), "--accel", "3", "--acs", "16", "--gfactor", dir.file("g.npy"))
        try #require(r.status == 0, "\(r.stderr)")
        let g = try NpyFile.read(dir.file("g.npy"))
        #expect(g.header.shape == [2, 48, 40] && g.header.elementType == .float32)
        let values = g.realValues()
        let mask = try Acquisition.uniform(ny: 48, acceleration: 3, acsLines: 16)
        for i in 0..<2 {
            let kernel = try Grappa().calibrate(slices[i].masked(by: mask.mask), mask)
            let expected = try GFactor.map(kernel: kernel, reconstructed: kernel.apply(to: slices[i].masked(by: mask.mask), mask))
            #expect(zip(values[(i * 1920)..<((i + 1) * 1920)], expected).allSatisfy { Float($0) == $1 }, "slice \(i)")
        }
        let one = try metagrappa("recon", dir.file("one.npy"), "-o", dir.file("o1.npy"), "--accel", "3", "--gfactor", dir.file("g1.npy"))
        #expect(one.status == 0, "\(one.stderr)")
        let shape = try NpyFile.read(dir.file("g1.npy")).header.shape
        #expect(shape == [48, 40])
        let raki = try metagrappa("recon", dir.file("one.npy"), "-o", dir.file("bad.npy"), "--method", "raki", "--accel", "3",
                                  "--gfactor", dir.file("bad-g.npy"))
        #expect(raki.status == 64 && raki.stderr.contains("--method grappa"), "\(raki.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("bad.npy")) && !FileManager.default.fileExists(atPath: dir.file("bad-g.npy")))
    }
}
