import Compute
import Foundation
import MRICore
import MRIIO
import Simulation
import Testing
import TestSupport

/// Malformed k-space files of every format, made from valid seeds by random truncation
/// and byte corruption (deterministic for the seed), fed to `recon`: each run must either
/// succeed or exit 1–127 with one error line and no output file — never crash or hang.
@Suite struct FormatFuzzTests {
    static let mutationsPerSeed = 30

    /// Valid seed files: a 2-slice .npy volume, a .cfl/.hdr pair, a fastMRI .h5, an ISMRMRD .h5,
    /// Siemens raw data of both layouts (VB19, VE11).
    static func seeds(in dir: TemporaryDirectory) throws -> [String] {
        let a = try PhantomSimulator(ny: 32, nx: 24, coils: 4, seed: 3).simulate().noisy
        let b = try PhantomSimulator(ny: 32, nx: 24, coils: 4, seed: 4).simulate().noisy
        for name in ["seed.npy", "seed.cfl", "seed.h5"] { try writeVolume([a, b], to: dir.file(name)) }
        try generateIsmrmrdPhantom(dir.file("ismrmrd.h5"))
        try FileManager.default.copyItem(atPath: try testData("twix/vb19_phantom_4ch_256.dat"), toPath: dir.file("vb.dat"))
        try FileManager.default.copyItem(atPath: try testData("twix/ve11_gre_2ch_oversampled.dat"), toPath: dir.file("vd.dat"))
        return ["seed.npy", "seed.hdr", "seed.cfl", "seed.h5", "ismrmrd.h5", "vb.dat", "vd.dat"]
    }

    @Test func malformedFilesGiveCleanErrors() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var rng = SeededGenerator(seed: 2026)
        var (runs, refused) = (0, 0)
        for seed in try Self.seeds(in: dir) {
            let original = try Data(contentsOf: URL(fileURLWithPath: dir.file(seed)))
            let ext = URL(fileURLWithPath: seed).pathExtension
            for trial in 0..<Self.mutationsPerSeed {
                var bytes = [UInt8](original)
                switch trial % 3 {
                case 0:  // truncated
                    bytes = Array(bytes.prefix(Int(rng.uniform() * Double(bytes.count))))
                case 1:  // a few bytes changed, in the first 4 KiB (headers, HDF5 superblock and object headers)
                    for _ in 0..<(1 + Int(rng.uniform() * 8)) where !bytes.isEmpty {
                        bytes[Int(rng.uniform() * Double(min(4096, bytes.count)))] = UInt8(Int(rng.uniform() * 256))
                    }
                default:  // bytes changed anywhere
                    for _ in 0..<(1 + Int(rng.uniform() * 32)) where !bytes.isEmpty {
                        bytes[Int(rng.uniform() * Double(bytes.count))] = UInt8(Int(rng.uniform() * 256))
                    }
                }
                // The mutated file replaces its seed in a copy of the seed set (a .cfl needs its .hdr).
                let work = dir.file("work")
                try? FileManager.default.removeItem(atPath: work)
                try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
                for other in ["seed.cfl", "seed.hdr"] where ext == "cfl" || ext == "hdr" {
                    try FileManager.default.copyItem(atPath: dir.file(other), toPath: work + "/" + other)
                }
                let input = work + "/" + seed
                try? FileManager.default.removeItem(atPath: input)
                try Data(bytes).write(to: URL(fileURLWithPath: input))
                let output = work + "/out.npy"
                let r = try runProcess(metagrappaPath, ["recon", input, "-o", output, "--accel", "2", "--acs", "8"])
                runs += 1
                let what = "\(seed) trial \(trial) (\(bytes.count) bytes)"
                #expect(!r.crashed, "\(what): crashed with signal \(r.status): \(r.stderr)")
                if r.status != 0 {
                    refused += 1
                    #expect((1...127).contains(r.status), "\(what): exit \(r.status)")
                    let lines = r.stderr.split(separator: "\n")
                    #expect(lines.count == 1 && lines[0].hasPrefix("metagrappa: error: "), "\(what): \(r.stderr)")
                    #expect(!FileManager.default.fileExists(atPath: output), "\(what): output left after an error")
                    #expect(try FileManager.default.contentsOfDirectory(atPath: work).allSatisfy { !$0.hasPrefix(".") }, "\(what): temporary file left")
                }
            }
        }
        print("format fuzzing: \(runs) malformed files, \(refused) refused with a clean error, \(runs - refused) read as valid, 0 crashes")
        // Most mutations must be caught (corrupting k-space samples alone can leave a valid file).
        #expect(refused >= runs / 3, "only \(refused) of \(runs) malformed files were refused")
    }
}

/// Files on which Debian's libhdf5 1.10.8 itself crashes or never returns (found by
/// libFuzzer; RELIABILITY.md): in-process they kill or hang the tool; through the
/// child-process probe each is refused with one error line, exit 65 and no output.
@Suite struct LibHDF5FailureTests {
    static let directory = packageRoot + "/Fuzz/libhdf5-failures"
    static let expected = [
        "libhdf5-H5Dopen2-FPE.h5": "HDF5 library crashed",
        "libhdf5-H5HG_read-memcpy-overlap.h5": "HDF5 library crashed",
        "libhdf5-H5HG_read-endless-loop.h5": "took over 2 s",
    ]

    @Test func failuresInsideLibHDF5AreRefusedCleanly() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory).sorted()
        #expect(Set(files) == Set(Self.expected.keys), "files and expectations differ: \(files)")
        for name in files {
            let input = Self.directory + "/" + name
            let before = try Data(contentsOf: URL(fileURLWithPath: input))
            let dir = try TemporaryDirectory()
            defer { dir.cleanup() }
            for arguments in [["recon", input, "-o", dir.file("out.npy"), "--accel", "2", "--acs", "8"], ["info", input],
                              ["calibrate", input, "-o", dir.file("k.kernel"), "--accel", "2", "--acs", "8"]] {
                let r = try runProcess(metagrappaPath, arguments, environment: ["METAGRAPPA_HDF5_PROBE_TIMEOUT": "2"])
                #expect(!r.crashed && r.status == 65, "\(name) \(arguments[0]): status \(r.status), crashed \(r.crashed)")
                #expect(r.stderr.hasPrefix("metagrappa: error: ") && r.stderr.contains(Self.expected[name] ?? "?")
                        && r.stderr.split(separator: "\n").count == 1, "\(name) \(arguments[0]): \(r.stderr)")
            }
            #expect(listing(dir).isEmpty, "\(name): files left: \(listing(dir))")
            #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == before, "\(name): input changed")
        }
    }

    /// Without the probe the crashing files do crash the tool: the isolation is what saves it.
    @Test func theCrashesAreRealInProcess() throws {
        for (name, phrase) in Self.expected where phrase.contains("crashed") {
            let r = try runProcess(metagrappaPath, ["info", Self.directory + "/" + name],
                                   environment: ["METAGRAPPA_TRUST_HDF5": "1", "SWIFT_BACKTRACE": "enable=no"])
            #expect(r.crashed, "\(name): libhdf5 no longer crashes in-process (status \(r.status)); update RELIABILITY.md")
        }
    }
}
