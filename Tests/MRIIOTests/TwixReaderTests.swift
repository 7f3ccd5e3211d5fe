import Foundation
import MRICore
import MRIIO
import Numerics
import Testing
import TestSupport

/// The Siemens raw data reader against twixtools (PyPI), the reference reader, on the shared
/// scanner files and on accelerated, noisy and multi-slice files twixtools writes from them.
@Suite struct TwixReaderTests {
    static let files = ["vb19_phantom_4ch_256.dat", "ve11_gre_2ch_oversampled.dat", "ve11_phantom_32ch_se_64.dat",
                        "xa61_brain_16ch_gre_128.dat"]

    /// Writes every slice of `reader` to a `.npy` volume `[slices, coils, ky, kx]`.
    static func dump(_ reader: any KSpaceVolumeReader, to path: String) throws {
        let writer = try KSpaceFiles.createWriter(path, slices: reader.slices, sliceShape: reader.sliceShape)
        for s in 0..<reader.slices { try writer.write(try reader.readSlice(s), slice: s) }
        try writer.commit()
    }

    /// `make_twix.py` (Tests/reference) run on a test-data file.
    static func makeTwix(_ source: String, _ output: String, _ arguments: [String]) throws {
        let script = packageRoot + "/Tests/reference/make_twix.py"
        let r = try runProcess("/usr/bin/env", ["python3", script, try testData("twix/" + source), output] + arguments)
        #expect(r.status == 0, "make_twix.py failed: \(r.stderr)")
    }

    @Test(arguments: files)
    func equalsTwixtools(file: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = try testData("twix/" + file)
        let reader = try KSpaceFiles.openReader(path)
        #expect(reader.format == .twix && reader.slices == 1)
        try Self.dump(reader, to: dir.file("ours.npy"))
        try Self.dump(try OversamplingRemovedReader(reader), to: dir.file("ours_os.npy"))
        let py = try runPython("""
            import numpy as np, twixtools
            a = twixtools.map_twix('\(path)', verbose=False)[-1]['image']
            a.flags['squeeze_singletons'] = True
            ref = np.transpose(a[:], (1, 0, 2))            # [Lin, Cha, Col] -> [Cha, Lin, Col]
            ours = np.load('\(dir.file("ours.npy"))')
            assert ours.shape == ref.shape, (ours.shape, ref.shape)
            assert np.array_equal(ours, ref), np.abs(ours - ref).max()
            a.flags['remove_os'] = True
            ref = np.transpose(a[:], (1, 0, 2))
            ours = np.load('\(dir.file("ours_os.npy"))')
            assert ours.shape == ref.shape, (ours.shape, ref.shape)
            err = np.linalg.norm(ours - ref) / np.linalg.norm(ref)
            assert err < 1e-5, err
            print('ok', err)
            """)
        #expect(py.status == 0 && py.stdout.contains("ok"), "twixtools comparison failed: \(py.stderr)")
    }

    @Test func acceleratedFileGivesItsSamplingAndTheLinesTwixtoolsSorts() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.file("acc.dat")
        try Self.makeTwix("xa61_brain_16ch_gre_128.dat", path, ["--accel", "4", "--acs", "24", "--protocol-lines"])
        let reader = try KSpaceFiles.openReader(path)
        // The protocol's 128 lines, not the highest line seen (124).
        #expect(reader.sliceShape.coils == 16 && reader.sliceShape.ny == 128 && reader.sliceShape.nx == 128)
        let mask = try #require(try reader.acquiredLines(slice: 0))
        #expect(mask == (try SamplingMask.uniform(ny: 128, acceleration: 4, acsLines: 24)))
        try Self.dump(reader, to: dir.file("ours.npy"))
        let py = try runPython("""
            import numpy as np, twixtools
            t = twixtools.map_twix('\(path)', verbose=False)[-1]
            ours = np.load('\(dir.file("ours.npy"))')
            image, ref = t['image'], t['refscan']
            for a in (image, ref):
                a.flags['squeeze_singletons'] = True
            image, ref = np.transpose(image[:], (1, 0, 2)), np.transpose(ref[:], (1, 0, 2))
            lattice = [y for y in range(128) if (y - 64) % 4 == 0]
            acs = list(range(52, 76))
            for y in lattice:
                assert np.array_equal(ours[:, y], image[:, y]), y
            for y in acs:
                assert np.array_equal(ours[:, y], ref[:, y]), y
            others = [y for y in range(128) if y not in lattice and y not in acs]
            assert not np.any(ours[:, others]), 'unmeasured lines must be zero'
            print('ok')
            """)
        #expect(py.status == 0 && py.stdout.contains("ok"), "twixtools comparison failed: \(py.stderr)")
    }

    @Test func linesArePlacedByTheProtocolMatrixAndCentreLine() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        // Lines counted from 16 (the first 16 not acquired, as with partial Fourier), centre
        // line counter 64 − 16: the reader must put them back at rows 16…127.
        let path = dir.file("offset.dat")
        try Self.makeTwix("xa61_brain_16ch_gre_128.dat", path, ["--protocol-lines", "--line-offset", "16"])
        let reader = try KSpaceFiles.openReader(path)
        #expect(reader.sliceShape.ny == 128)
        let ours = try reader.readSlice(0), original = try KSpaceFiles.readSlice(try testData("twix/xa61_brain_16ch_gre_128.dat"))
        let mask = try #require(try reader.acquiredLines(slice: 0))
        #expect(mask.acquired == (0..<128).map { $0 >= 16 })
        for c in 0..<16 {
            for y in 0..<128 {
                for x in 0..<128 where ours[c, y, x] != (y >= 16 ? original[c, y, x] : .zero) {
                    Issue.record("coil \(c) line \(y) sample \(x) differs")
                    return
                }
            }
        }
    }

    @Test func noiseScansGiveTheCovarianceAndWhiteningMakesItTheIdentity() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.file("noise.dat")
        try Self.makeTwix("xa61_brain_16ch_gre_128.dat", path, ["--noise", "128", "--noise-out", dir.file("cov.npy")])
        let reader = try KSpaceFiles.openReader(path)
        let noise = try #require(try reader.noiseScans())
        #expect(noise.coils == 16 && noise.ny == 128 && noise.nx == 128)
        let whitening = try CoilWhitening(noise: noise)
        try NpyFile.write(noise, to: dir.file("noise.npy"))
        try NpyFile.write(try whitening.whitened(noise), to: dir.file("white.npy"))
        let cov = whitening.covariance.flatMap { [$0.real, $0.imaginary] }
        try NpyFile.write(cov.map(Float.init), shape: [16, 16, 2], to: dir.file("ours_cov.npy"))
        let py = try runPython("""
            import numpy as np, twixtools
            a = twixtools.map_twix('\(path)', verbose=False)[-1]['noise']
            a.flags['squeeze_singletons'] = True
            ref = np.transpose(a[:], (1, 0, 2))
            noise = np.load('\(dir.file("noise.npy"))')
            assert np.array_equal(noise, ref), 'noise scans differ from twixtools'
            x = noise.reshape(16, -1).astype(np.complex128)
            measured = x @ x.conj().T / x.shape[1]
            c = np.load('\(dir.file("ours_cov.npy"))').astype(np.float64)
            ours = c[..., 0] + 1j * c[..., 1]
            assert np.linalg.norm(ours - measured) / np.linalg.norm(measured) < 1e-5
            # the generating covariance is recovered up to the sampling error of 16384 samples
            truth = np.load('\(dir.file("cov.npy"))')
            assert np.linalg.norm(measured - truth) / np.linalg.norm(truth) < 0.05
            w = np.load('\(dir.file("white.npy"))').reshape(16, -1).astype(np.complex128)
            white = w @ w.conj().T / w.shape[1]
            mean = np.trace(measured).real / 16
            dev = np.abs(white / mean - np.eye(16)).max()
            assert dev < 1e-4, dev
            # not whitened, the coils are far from independent
            assert np.abs(measured / mean - np.eye(16)).max() > 0.3
            print('ok', dev)
            """)
        #expect(py.status == 0 && py.stdout.contains("ok"), "noise check failed: \(py.stderr)")
    }

    @Test func reflectedLinesAreFlippedAndAveragesAveraged() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.file("reflected.dat")
        try Self.makeTwix("ve11_phantom_32ch_se_64.dat", path, ["--reflect-odd", "--averages", "2"])
        let ours = try KSpaceFiles.readSlice(path)
        let original = try KSpaceFiles.readSlice(try testData("twix/ve11_phantom_32ch_se_64.dat"))
        // Averages 1.0× and 1.5× of each line: 1.25× the original, reflected lines flipped back.
        var worst: Float = 0
        for i in 0..<original.data.count {
            worst = max(worst, (ours.data[i] - original.data[i] * Complex(1.25, 0)).length / max(original.data[i].length * 1.25, 1e-12))
        }
        #expect(worst < 1e-6, "largest relative difference \(worst)")
        try NpyFile.write(ours, to: dir.file("ours.npy"))
        let py = try runPython("""
            import numpy as np, twixtools
            a = twixtools.map_twix('\(path)', verbose=False)[-1]['image']
            a.flags['squeeze_singletons'] = True
            ref = np.transpose(a[:], (1, 0, 2))
            ours = np.load('\(dir.file("ours.npy"))')
            assert np.allclose(ours, ref, rtol=1e-6, atol=0), np.abs(ours - ref).max()
            print('ok')
            """)
        #expect(py.status == 0 && py.stdout.contains("ok"), "twixtools comparison failed: \(py.stderr)")
    }

    @Test func slicesFollowTwixtoolsOrder() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.file("multi.dat")
        try Self.makeTwix("ve11_phantom_32ch_se_64.dat", path, ["--slices", "3"])
        let reader = try KSpaceFiles.openReader(path)
        #expect(reader.slices == 3)
        try Self.dump(reader, to: dir.file("ours.npy"))
        let py = try runPython("""
            import numpy as np, twixtools
            a = twixtools.map_twix('\(path)', verbose=False)[-1]['image']
            a.flags['squeeze_singletons'] = True
            ref = np.transpose(a[:], (0, 2, 1, 3))       # [Sli, Lin, Cha, Col] -> [Sli, Cha, Lin, Col]
            ours = np.load('\(dir.file("ours.npy"))')
            assert ours.shape == ref.shape, (ours.shape, ref.shape)
            assert np.array_equal(ours, ref)
            assert not np.array_equal(ours[0], ours[1])
            print('ok')
            """)
        #expect(py.status == 0 && py.stdout.contains("ok"), "twixtools comparison failed: \(py.stderr)")
    }
}
