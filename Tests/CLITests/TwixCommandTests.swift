import Foundation
import MRICore
import MRIIO
import Testing
import TestSupport

/// `recon`, `convert` and `info` on Siemens raw data, against the same data as `.npy`.
@Suite struct TwixCommandTests {
    static var brain: String { get throws { try testData("twix/xa61_brain_16ch_gre_128.dat") } }

    /// An accelerated (R = 4, 24 reference lines) copy of the in-vivo brain written by
    /// twixtools, with `extra` arguments of make_twix.py.
    static func accelerated(_ dir: TemporaryDirectory, _ name: String, _ extra: [String] = []) throws -> String {
        let path = dir.file(name)
        let r = try runProcess("/usr/bin/env", ["python3", packageRoot + "/Tests/reference/make_twix.py", brain, path,
                                                "--accel", "4", "--acs", "24", "--protocol-lines"] + extra)
        try #require(r.status == 0, "make_twix.py: \(r.stderr)")
        return path
    }

    @Test func reconstructsAnAcceleratedFileWithoutSamplingOptions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let acc = try Self.accelerated(dir, "acc.dat")
        let full = try metagrappa("convert", try Self.brain, "-o", dir.file("full.npy"))
        try #require(full.status == 0, "\(full.stderr)")
        let fromTwix = try metagrappa("recon", acc, "-o", dir.file("twix.npy"), "--method", "grappa")
        let fromNpy = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("npy.npy"), "--accel", "4", "--acs", "24")
        try #require(fromTwix.status == 0 && fromNpy.status == 0, "\(fromTwix.stderr) \(fromNpy.stderr)")
        let a = try NpyFile.readKSpace(dir.file("twix.npy")).kspace, b = try NpyFile.readKSpace(dir.file("npy.npy")).kspace
        #expect(a == b, "the raw file and the .npy with --accel 4 --acs 24 must reconstruct identically")
        #expect(a.coils == 16 && a.ny == 128 && a.nx == 128)
        let info = try metagrappa("info", acc)
        for text in ["software: syngo MR XA61", "coil: HeadNeck_20_TCS", "uniform R=4", "ACS block", "32 image, 18 reference-only"] {
            #expect(info.stdout.contains(text), "info lacks '\(text)': \(info.stdout)")
        }
    }

    @Test func prewhitensWithTheNoiseScansAndMapsBack() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let noisy = try Self.accelerated(dir, "noisy.dat", ["--noise", "64"])
        let plain = try Self.accelerated(dir, "plain.dat")
        // Fixed support and λ_rel, so that only the coil basis differs between the runs.
        let fixed = ["--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4"]
        let white = try metagrappa(["recon", noisy, "-o", dir.file("white.npy"), "--timing", "--gfactor", dir.file("g.npy")] + fixed)
        #expect(white.status == 0 && white.stderr.contains("prewhitened") && white.stderr.contains("mapped back"), "\(white.stderr)")
        let off = try metagrappa(["recon", noisy, "-o", dir.file("off.npy"), "--no-prewhiten"] + fixed)
        let reference = try metagrappa(["recon", plain, "-o", dir.file("plain.npy")] + fixed)
        try #require(off.status == 0 && reference.status == 0, "\(off.stderr) \(reference.stderr)")
        let w = try NpyFile.readKSpace(dir.file("white.npy")).kspace
        let o = try NpyFile.readKSpace(dir.file("off.npy")).kspace
        #expect(o == (try NpyFile.readKSpace(dir.file("plain.npy")).kspace), "without prewhitening the noise scans change nothing")
        #expect(w != o, "prewhitening changed nothing")
        // Measured lines exactly as measured, in the physical coils.
        let measured = try KSpaceFiles.readSlice(noisy)
        let mask = try SamplingMask.uniform(ny: 128, acceleration: 4, acsLines: 24)
        #expect(w.masked(by: mask) == measured, "measured samples must be kept as measured")
        // The estimate differs from the unwhitened one by little: least squares commutes with
        // an invertible coil transform up to the regularisation.
        var diff: Float = 0, norm: Float = 0
        for i in 0..<w.data.count { diff += (w.data[i] - o.data[i]).lengthSquared; norm += o.data[i].lengthSquared }
        #expect((diff / norm).squareRoot() < 0.05, "prewhitened and plain GRAPPA differ by \((diff / norm).squareRoot())")
        #expect(FileManager.default.fileExists(atPath: dir.file("g.npy")))
        let npy = try metagrappa("recon", dir.file("off.npy"), "-o", dir.file("x.npy"), "--accel", "4", "--prewhiten")
        #expect(npy.status == 64 && npy.stderr.contains("--prewhiten") && npy.stderr.contains("no noise data"), "\(npy.stderr)")
    }

    @Test func convertsToEveryFormatWithItsMask() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let acc = try Self.accelerated(dir, "acc.dat")
        let expected = try KSpaceFiles.readSlice(acc)
        for output in ["k.npy", "k.cfl", "k.h5"] {
            let r = try metagrappa("convert", acc, "-o", dir.file(output), "--mask-output", dir.file("\(output).mask.npy"))
            try #require(r.status == 0, "\(output): \(r.stderr)")
            #expect(try KSpaceFiles.readSlice(dir.file(output)) == expected, "\(output)")
            #expect(try NpyFile.readMask(dir.file("\(output).mask.npy")) == (try SamplingMask.uniform(ny: 128, acceleration: 4, acsLines: 24)))
        }
        let os = try metagrappa("convert", try testData("twix/ve11_gre_2ch_oversampled.dat"), "-o", dir.file("os.npy"), "--remove-oversampling")
        #expect(os.status == 0, "\(os.stderr)")
        #expect(try NpyFile.readKSpace(dir.file("os.npy")).kspace.nx == 160)
        // A truncated file: exit 65, one line, no output.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: acc))
        try bytes.prefix(bytes.count * 2 / 3).write(to: URL(fileURLWithPath: dir.file("cut.dat")))
        for command in ["convert", "recon"] {
            let r = try metagrappa(command, dir.file("cut.dat"), "-o", dir.file("cut-\(command).npy"))
            #expect(r.status == 65 && r.stderr.contains("truncated") && r.stderr.split(separator: "\n").count == 1, "\(command): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("cut-\(command).npy")))
        }
        let mask = try metagrappa("convert", dir.file("k.npy"), "-o", dir.file("k2.npy"), "--mask-output", dir.file("m.npy"))
        #expect(mask.status == 64 && mask.stderr.contains("records no sampling"), "\(mask.stderr)")
    }
}
