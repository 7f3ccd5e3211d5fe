import Foundation
import MetaLearner
import MRICore
import MRIIO
import Testing
import TestSupport

/// Every bad input gets one line on stderr naming the problem, the documented exit code of
/// its kind (64 bad argument, 65 bad data, 66 file cannot be read or written), and leaves no
/// output file (nor a temporary) behind.
@Suite struct BadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        /// The documented exit code of the failure's kind: 64 bad argument, 65 bad data, 66 file.
        let code: Int32
        let setup: @Sendable (TemporaryDirectory) throws -> [String]
        let expected: String
        var testDescription: String { name }
    }

    static func writeBytes(_ dir: TemporaryDirectory, _ name: String, _ bytes: [UInt8]) -> String {
        #expect(FileManager.default.createFile(atPath: dir.file(name), contents: Data(bytes)), "could not write \(name)")
        return dir.file(name)
    }

    static let cases: [Case] = [
        Case(name: "missing input", code: 66, setup: { d in ["recon", d.file("nope.npy"), "-o", d.file("out.npy"), "--accel", "2"] },
             expected: "cannot open"),
        Case(name: "empty input", code: 65, setup: { d in ["recon", writeBytes(d, "e.npy", []), "-o", d.file("out.npy"), "--accel", "2"] },
             expected: "empty"),
        Case(name: "random bytes", code: 65, setup: { d in
            ["recon", writeBytes(d, "r.npy", (0..<500).map { UInt8(($0 * 37) & 0xFF) }), "-o", d.file("out.npy"), "--accel", "2"] },
             expected: "not a .npy file"),
        Case(name: "truncated", code: 65, setup: { d in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: d.file("full.npy")))
            return ["recon", writeBytes(d, "t.npy", Array(bytes.prefix(bytes.count / 2))), "-o", d.file("out.npy"), "--accel", "2"] },
             expected: "truncated"),
        Case(name: "absurd shape", code: 65, setup: { d in
            let header = NpyHeader.encode(elementType: .complex64, shape: [100000, 100000, 100000])
            return ["recon", writeBytes(d, "huge.npy", header + [1, 2, 3]), "-o", d.file("out.npy"), "--accel", "2"] },
             expected: "needs"),
        Case(name: "wrong dtype", code: 65, setup: { d in
            try NpyFile.write([Float](repeating: 1, count: 64), shape: [4, 4, 4], to: d.file("f.npy"))
            return ["recon", d.file("f.npy"), "-o", d.file("out.npy"), "--accel", "2"] },
             expected: "expected complex k-space"),
        Case(name: "wrong rank", code: 65, setup: { d in
            let header = NpyHeader.encode(elementType: .complex64, shape: [16, 16])
            return ["recon", writeBytes(d, "r2.npy", header + [UInt8](repeating: 0, count: 2048)), "-o", d.file("out.npy"), "--accel", "2"] },
             expected: "expected k-space [coils, ky, kx] or [slices, coils, ky, kx], found shape [16, 16]"),
        Case(name: "NaN in data", code: 65, setup: { d in
            var (k, _) = try NpyFile.readKSpace(d.file("full.npy"))
            k.data[100] = .init(.nan, 0)
            try NpyFile.write(k, to: d.file("nan.npy"))
            return ["recon", d.file("nan.npy"), "-o", d.file("out.npy"), "--accel", "2"] },
             expected: "NaN or Inf"),
        Case(name: "accel below 2", code: 64, setup: { d in ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "1"] },
             expected: "--accel: acceleration must be at least 2, found 1"),
        Case(name: "accel too large", code: 64, setup: { d in ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "40"] },
             expected: "too large"),
        Case(name: "ACS too small for the kernel", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "4", "--acs", "8", "--kernel-lines", "4"] },
             expected: "at least 13 lines"),
        Case(name: "ACS too small for every kernel", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "4", "--acs", "4"] },
             expected: "at least 5 lines"),
        Case(name: "ACS larger than ny", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--acs", "100"] },
             expected: "larger than the 64"),
        Case(name: "mask of the wrong length", code: 65, setup: { d in
            try NpyFile.write(SamplingMask.uniform(ny: 32, acceleration: 2, acsLines: 8), to: d.file("m.npy"))
            return ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--mask", d.file("m.npy")] },
             expected: "32 entries but the k-space has 64"),
        Case(name: "mask with accel", code: 64, setup: { d in
            try NpyFile.write(SamplingMask.uniform(ny: 64, acceleration: 2, acsLines: 8), to: d.file("m.npy"))
            return ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--mask", d.file("m.npy"), "--accel", "2"] },
             expected: "not both"),
        Case(name: "neither mask nor accel", code: 64, setup: { d in ["recon", d.file("full.npy"), "-o", d.file("out.npy")] },
             expected: "--accel"),
        Case(name: "unknown method", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--method", "sense"] },
             expected: "sense"),
        Case(name: "unknown method in evaluate", code: 64, setup: { d in
            ["evaluate", d.file("full.npy"), "--accel", "2", "--methods", "grappa,magic", "--json", d.file("out.json")] },
             expected: "unknown method 'magic'"),
        Case(name: "even kernel width", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--kernel-readout", "4"] },
             expected: "odd"),
        Case(name: "negative lambda", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--lambda", "-1"] },
             expected: "--lambda"),
        Case(name: "negative noise variance", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--noise-variance=-1"] },
             expected: "--noise-variance: the noise variance must be a finite number > 0, found -1.0"),
        Case(name: "NaN noise variance in calibrate", code: 64, setup: { d in
            ["calibrate", d.file("full.npy"), "-o", d.file("out.kernel"), "--accel", "2", "--noise-variance", "nan"] },
             expected: "--noise-variance: the noise variance must be a finite number > 0, found nan"),
        Case(name: "cs with a negative lambda", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--method", "cs", "--lambda=-1"] },
             expected: "--lambda: regularisation must be a finite number ≥ 0, found -1.0"),
        Case(name: "cs with zero iterations", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--method", "cs", "--iterations", "0"] },
             expected: "--iterations: the number of iterations must be at least 1, found 0"),
        Case(name: "RAKI with zero iterations", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--method", "raki", "--iterations", "0"] },
             expected: "--iterations: the number of iterations must be at least 1, found 0"),
        Case(name: "RAKI with a negative learning rate", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--method", "raki", "--learning-rate=-0.1"] },
             expected: "--learning-rate: RAKI's learning rate must be a positive number"),
        Case(name: "malformed accel list", code: 64, setup: { d in
            ["evaluate", d.file("full.npy"), "--accel", "2,x", "--json", d.file("out.json")] },
             expected: "comma-separated list"),
        Case(name: "png with several R", code: 64, setup: { d in
            ["evaluate", d.file("full.npy"), "--accel", "2,3", "--png", d.file("out.png")] },
             expected: "a PNG figure is of one input and one R"),
        Case(name: "output over the input", code: 64, setup: { d in ["recon", d.file("full.npy"), "-o", d.file("full.npy"), "--accel", "2"] },
             expected: "overwrite the input"),
        Case(name: "output in a missing directory", code: 66, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("no/such/dir/out.npy"), "--accel", "2"] },
             expected: "does not exist"),
        Case(name: "unsupported output format", code: 64, setup: { d in ["recon", d.file("full.npy"), "-o", d.file("out.txt"), "--accel", "2"] },
             expected: "not supported"),
        Case(name: "meta model file missing", code: 66, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--method", "meta", "--model", d.file("no.mgmeta")] },
             expected: "cannot read the meta model"),
        Case(name: "corrupt meta model", code: 65, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--method", "meta",
             "--model", writeBytes(d, "bad.mgmeta", Array("MGMETA\r\n garbage".utf8))] },
             expected: "bad.mgmeta"),
        Case(name: "meta model of another coil array", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "2", "--acs", "12", "--method", "meta",
             "--model", try writeModel(d, coils: 2, r: 2)] },
             expected: "8 coils but the meta model is for the 2-coil array"),
        Case(name: "meta model for another R", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "3", "--acs", "12", "--method", "meta",
             "--model", try writeModel(d, coils: 8, r: 2)] },
             expected: "the meta model is for R=2"),
        Case(name: "shipped meta model on an 8-coil scan", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--accel", "4", "--acs", "16", "--method", "meta"] },
             expected: "train one with `metagrappa meta-train`"),
        Case(name: "meta-train with one data file", code: 64, setup: { d in
            ["meta-train", "--data", d.file("full.npy"), "-o", d.file("m.mgmeta"), "--accel", "2"] },
             expected: "at least two"),
        Case(name: "meta-train resume without checkpoint", code: 66, setup: { d in
            ["meta-train", "--data", d.file("full.npy"), d.file("full.npy"), "-o", d.file("m.mgmeta"), "--resume"] },
             expected: "no checkpoint"),
        Case(name: "meta-train subjects with own data", code: 64, setup: { d in
            ["meta-train", "--data", d.file("full.npy"), d.file("full.npy"), "-o", d.file("m.mgmeta"), "--subjects"] },
             expected: "cannot apply to your own scans"),
        Case(name: "meta-train model name", code: 64, setup: { d in
            ["meta-train", "--data", d.file("full.npy"), d.file("full.npy"), "-o", d.file("m.npy")] },
             expected: "not supported"),
        Case(name: "recon to an unknown format", code: 64, setup: { d in ["recon", d.file("full.npy"), "-o", d.file("out.mat"), "--accel", "2"] },
             expected: "'.mat' is not supported"),
        Case(name: "recon of an unknown format", code: 65, setup: { d in
            ["recon", writeBytes(d, "in.mat", [1, 2, 3]), "-o", d.file("out.npy"), "--accel", "2"] },
             expected: "'.mat' is not supported"),
        Case(name: "recon slice out of range", code: 64, setup: { d in ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--slice", "1", "--accel", "2"] },
             expected: "has 1 slice"),
        Case(name: "recon negative slice", code: 64, setup: { d in ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--slice", "-1", "--accel", "2"] },
             expected: "--slice"),
        Case(name: "recon zero virtual coils", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--virtual-coils", "0", "--accel", "2"] },
             expected: "--virtual-coils: the number of virtual coils must be at least 1"),
        Case(name: "recon missing kernel", code: 66, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--kernel", d.file("k.kernel"), "--accel", "2"] },
             expected: "cannot open the kernel file"),
        Case(name: "recon g-factor as png", code: 64, setup: { d in
            ["recon", d.file("full.npy"), "-o", d.file("out.npy"), "--gfactor", d.file("g.png"), "--accel", "2"] },
             expected: "'.png' is not supported"),
        Case(name: "recon without sampling", code: 64, setup: { d in ["recon", d.file("full.npy"), "-o", d.file("out.npy")] },
             expected: "records no sampling pattern"),
        Case(name: "working set beyond the machine's memory", code: 64, setup: { d in
            // A valid header and a sparse file of the size it declares (34 GB, no blocks written).
            let header = NpyHeader.encode(elementType: .complex64, shape: [64, 8192, 8192])
            let path = writeBytes(d, "big.npy", header)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.truncate(atOffset: UInt64(header.count) + 64 * 8192 * 8192 * 8)
            try handle.close()
            return ["recon", path, "-o", d.file("out.npy"), "--accel", "4"] },
             expected: "needs about 384.1 GiB to reconstruct with grappa; this machine has"),
        Case(name: "calibrate to .npy", code: 64, setup: { d in ["calibrate", d.file("full.npy"), "-o", d.file("k.npy"), "--accel", "2"] },
             expected: "'.npy' is not supported"),
        Case(name: "calibrate with mask and accel", code: 64, setup: { d in
            ["calibrate", d.file("full.npy"), "-o", d.file("k.kernel"), "--accel", "2", "--mask", d.file("full.npy")] },
             expected: "not both"),
        Case(name: "calibrate slice out of range", code: 64, setup: { d in
            ["calibrate", d.file("full.npy"), "-o", d.file("k.kernel"), "--accel", "2", "--slice", "3"] },
             expected: "has 1 slice"),
        Case(name: "calibrate ACS too small", code: 64, setup: { d in
            ["calibrate", d.file("full.npy"), "-o", d.file("k.kernel"), "--accel", "4", "--acs", "4"] },
             expected: "ACS"),
        Case(name: "simulate without output", code: 64, setup: { _ in ["simulate"] }, expected: "--output"),
        Case(name: "simulate matrix out of range", code: 64, setup: { d in ["simulate", "-o", d.file("p.npy"), "--matrix", "0"] },
             expected: "between 8 and 4096"),
        Case(name: "simulate zero coils", code: 64, setup: { d in ["simulate", "-o", d.file("p.npy"), "--coils", "0"] },
             expected: "coil count"),
        Case(name: "simulate paper array with other coil count", code: 64, setup: { d in
            ["simulate", "-o", d.file("p.npy"), "--array", "paper", "--coils", "8"] }, expected: "contradicts"),
        Case(name: "simulate NaN noise", code: 64, setup: { d in ["simulate", "-o", d.file("p.npy"), "--noise", "nan"] },
             expected: "noise level"),
        Case(name: "simulate correlation out of range", code: 64, setup: { d in ["simulate", "-o", d.file("p.npy"), "--correlation", "1"] },
             expected: "correlation in [0, 1)"),
        Case(name: "simulate to an unsupported format", code: 64, setup: { d in ["simulate", "-o", d.file("p.cfl")] },
             expected: "not supported"),
        Case(name: "simulate into a missing directory", code: 66, setup: { d in ["simulate", "-o", d.file("no/p.npy")] },
             expected: "does not exist"),
    ]

    /// A small meta model (random Φ) for `coils` coils at R = `r`, written into `d`.
    static func writeModel(_ d: TemporaryDirectory, coils: Int, r: Int) throws -> String {
        let learner = try LearnerCNN(coils: coils, acceleration: r, hiddenChannels: [4, 4])
        let model = try MetaModel(variant: .paper, learner: learner, metaLearner: MetaLearnerLSTM(),
                                  initialParameters: learner.network(seed: 1).parameters,
                                  array: CoilArrayProfile(name: "test", coils: coils,
                                                          signature: [Float](repeating: 0.5, count: coils * (coils - 1) / 2),
                                                          minimumAgreement: 0),
                                  linearBranchLambda: nil)
        return writeBytes(d, "model\(coils)x\(r).mgmeta", try model.serialized())
    }

    @Test(arguments: cases)
    func refusedWithOneClearLine(_ c: Case) throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let arguments = try c.setup(dir)
        let inputBefore = try Data(contentsOf: URL(fileURLWithPath: dir.file("full.npy")))
        let before = listing(dir)
        let run = try runProcess(metagrappaPath, arguments)
        #expect(run.status == c.code, "\(c.name): exit \(run.status), expected \(c.code)")
        #expect(run.stderr.contains(c.expected), "\(c.name): stderr was \(run.stderr)")
        let lines = run.stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lines.count == 1 && lines[0].hasPrefix("metagrappa: error: "), "\(c.name): \(run.stderr)")
        // No output, no temporary left over, input untouched.
        #expect(listing(dir) == before, "\(c.name): files changed: \(listing(dir).symmetricDifference(before))")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("full.npy"))) == inputBefore)
    }
}
