import Foundation
import MetaLearner
import MRICore
import MRIIO
import Simulation
import Testing
import TestSupport

/// `meta-train` on a user's scans, an interrupted and resumed run, and `recon --method meta`
/// with the trained model, end to end through the executable (tiny sizes: 4 coils, 48²).
@Suite struct MetaCommandTests {
    static func scans(_ dir: TemporaryDirectory) throws -> [String] {
        try (1...3).map { seed in
            let k = try PhantomSimulator(ny: 48, nx: 48, coils: 4, noiseLevel: 0.003, seed: UInt64(seed)).simulate().noisy
            try NpyFile.write(k, to: dir.file("scan\(seed).npy"))
            return dir.file("scan\(seed).npy")
        }
    }

    static let training = ["--accel", "2", "--acs", "12", "--hidden", "4,4", "--steps", "2", "--validate-every", "2"]

    @Test func trainResumeAndReconstruct() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let files = try Self.scans(dir)
        let straight = try runProcess(metagrappaPath, ["meta-train", "--data", files[0], files[1], "-o", dir.file("a.mgmeta"),
                                                       "--iterations", "6"] + Self.training)
        #expect(straight.status == 0, "\(straight.stderr)")
        #expect(straight.stderr.contains("step 6/6") && straight.stderr.contains("validation NRMSE"))
        // Stopped after 4 iterations, then resumed to 6: the same Φ as the uninterrupted run.
        let first = try runProcess(metagrappaPath, ["meta-train", "--data", files[0], files[1], "-o", dir.file("b.mgmeta"),
                                                    "--iterations", "4"] + Self.training)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.file("b.mgmeta.checkpoint")))
        let resumed = try runProcess(metagrappaPath, ["meta-train", "--data", files[0], files[1], "-o", dir.file("b.mgmeta"),
                                                      "--iterations", "6", "--resume"] + Self.training)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("step 6/6") && !resumed.stderr.contains("step 2/6"))
        let a = try MetaModel(serialized: Array(try Data(contentsOf: URL(fileURLWithPath: dir.file("a.mgmeta")))), source: "a")
        let b = try MetaModel(serialized: Array(try Data(contentsOf: URL(fileURLWithPath: dir.file("b.mgmeta")))), source: "b")
        #expect(a.initialParameters.map(\.bitPattern) == b.initialParameters.map(\.bitPattern))
        #expect(a.metaLearner.gates.map(\.bitPattern) == b.metaLearner.gates.map(\.bitPattern))
        #expect(a.array.name == "user:scan1.npy" && a.provenance["command"]?.contains("meta-train") == true)

        // Reconstruction with the trained model equals the library's and keeps measured samples.
        let recon = try metagrappa("recon", files[2], "-o", dir.file("out.npy"), "--method", "meta",
                                   "--model", dir.file("a.mgmeta"), "--accel", "2", "--acs", "12")
        #expect(recon.status == 0, "\(recon.stderr)")
        let (full, _) = try NpyFile.readKSpace(files[2])
        let mask = try Acquisition.uniform(ny: 48, acceleration: 2, acsLines: 12)
        let library = try MetaGrappa(model: a).reconstruct(full.masked(by: mask.mask), mask)
        let (out, _) = try NpyFile.readKSpace(dir.file("out.npy"))
        #expect(out == library)
        for c in 0..<4 { for y in 0..<48 where mask.mask.acquired[y] { for x in 0..<48 { #expect(out[c, y, x] == full[c, y, x]) } } }
        for y in 0..<48 where !mask.mask.acquired[y] { #expect((0..<48).contains { out[0, y, $0] != .zero }) }

        // `evaluate --methods meta` reports the same reconstruction's NRMSE.
        let evaluate = try metagrappa("evaluate", files[2], "--accel", "2", "--acs", "12", "--methods", "grappa,meta",
                                      "--model", dir.file("a.mgmeta"), "--json", dir.file("e.json"))
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("e.json")))) as! [String: Any]
        let methods = json["methods"] as! [[String: Any]]
        let meta = try #require(methods.first { $0["method"] as? String == "meta" })
        let expected = ImageMetrics.nrmse(CenteredFFT.rssImage(of: library), CenteredFFT.rssImage(of: full))
        #expect(abs((meta["nrmse"] as! Double) - expected) < 1e-9)
    }
}

/// A meta-training run killed with SIGKILL at arbitrary moments and resumed each time
/// ends with the same model, bit for bit, as a run that was never interrupted.
@Suite struct MetaTrainingKillTests {
    /// The arguments of a small meta-training run in `dir` (validation every 20 steps), after
    /// running it once uninterrupted into `straight.mgmeta`.
    static func straightRun(_ dir: TemporaryDirectory, iterations: Int, checkpointEvery: Int) throws -> [String] {
        let files = try MetaCommandTests.scans(dir)
        let arguments = ["meta-train", "--data", files[0], files[1], "--iterations", "\(iterations)",
                         "--checkpoint-every", "\(checkpointEvery)", "--accel", "2", "--acs", "12", "--hidden", "4,4",
                         "--steps", "2", "--validate-every", "20"]
        let straight = try runProcess(metagrappaPath, arguments + ["-o", dir.file("straight.mgmeta")])
        #expect(straight.status == 0, "\(straight.stderr)")
        return arguments
    }

    /// Whether the model at `output` equals `straight.mgmeta` bit for bit (θ₀, gates, best step).
    static func expectSameModel(_ dir: TemporaryDirectory, _ output: String, _ context: String) throws {
        let a = try MetaModel(serialized: Array(try Data(contentsOf: URL(fileURLWithPath: dir.file("straight.mgmeta")))), source: "a")
        let b = try MetaModel(serialized: Array(try Data(contentsOf: URL(fileURLWithPath: output))), source: "b")
        #expect(a.provenance["iteration"] == b.provenance["iteration"],
                "\(context): best model from step \(b.provenance["iteration"] ?? "?"), not \(a.provenance["iteration"] ?? "?")")
        let same = { (x: [Float], y: [Float]) in x.elementsEqual(y) { $0.bitPattern == $1.bitPattern } }
        #expect(same(a.initialParameters, b.initialParameters), "\(context): θ₀ differs from the uninterrupted run's")
        #expect(same(a.metaLearner.gates, b.metaLearner.gates), "\(context): gates differ from the uninterrupted run's")
    }

    @Test func killedAndResumedRunEqualsAnUninterruptedOne() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let arguments = try Self.straightRun(dir, iterations: 120, checkpointEvery: 7)
        let output = dir.file("killed.mgmeta"), checkpoint = output + ".checkpoint"
        var kills = 0
        let modified = { (try? FileManager.default.attributesOfItem(atPath: checkpoint))?[.modificationDate] as? Date }
        for delay in [0.0, 0.05, 0.02, 0.08, 0.03, 0.1] {
            let resume = FileManager.default.fileExists(atPath: checkpoint)
            let before = modified()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: metagrappaPath)
            process.arguments = arguments + ["-o", output] + (resume ? ["--resume"] : [])
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Kill once this run has written a checkpoint of its own (it made progress: an
            // observable event, not a guess of the machine's speed), then after `delay`.
            let start = Date()
            while process.isRunning && modified() == before && Date().timeIntervalSince(start) < 60 {
                Thread.sleep(forTimeInterval: 0.002)
            }
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning { kill(process.processIdentifier, SIGKILL); kills += 1 }
            process.waitUntilExit()
        }
        #expect(kills >= 2, "the run must actually be killed several times (killed \(kills) times)")
        // Finish the run.
        let resume = FileManager.default.fileExists(atPath: checkpoint)
        let last = try runProcess(metagrappaPath, arguments + ["-o", output] + (resume ? ["--resume"] : []))
        #expect(last.status == 0, "\(last.stderr)")
        try Self.expectSameModel(dir, output, "after \(kills) kills")
    }

    /// A kill between the checkpoint written at a validation step and that validation (here
    /// the last step, whose validation gives the best model) must not lose the validation:
    /// the resumed run runs it first. (Found by `Benchmarks/kill_resume.py`: without this the
    /// resumed run ended without it and kept the previous best model.)
    @Test func killJustBeforeAValidationLosesNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let arguments = try Self.straightRun(dir, iterations: 40, checkpointEvery: 5)
        let output = dir.file("killed.mgmeta"), checkpoint = output + ".checkpoint"
        func state() -> [String: Any]? {
            guard let data = FileManager.default.contents(atPath: checkpoint),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return json["state"] as? [String: Any]
        }
        var caught = false
        for _ in 0..<5 where !caught {
            try? FileManager.default.removeItem(atPath: checkpoint)
            try? FileManager.default.removeItem(atPath: output)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: metagrappaPath)
            process.arguments = arguments + ["-o", output]
            process.standardError = FileHandle.nullDevice
            try process.run()
            while process.isRunning {
                if let s = state(), s["iteration"] as? Int == 40 {
                    kill(process.processIdentifier, SIGKILL)
                    break
                }
            }
            process.waitUntilExit()
            caught = state().map { $0["iteration"] as? Int == 40 && $0["lastValidatedIteration"] as? Int != 40 } ?? false
        }
        #expect(caught, "never killed between the last checkpoint and the last validation in 5 tries")
        let last = try runProcess(metagrappaPath, arguments + ["-o", output, "--resume"])
        #expect(last.status == 0, "\(last.stderr)")
        try Self.expectSameModel(dir, output, "killed just before the last validation")
    }
}


/// meta-train's schedule and optimiser options: each reaches the run (the model or the run's
/// course changes), and Ctrl-C saves a checkpoint from which the run ends as if never stopped.
@Suite struct MetaTrainOptionTests {
    static func model(_ path: String) throws -> MetaModel {
        try MetaModel(serialized: Array(try Data(contentsOf: URL(fileURLWithPath: path))), source: path)
    }

    @Test func optionsReachTheRun() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let files = try MetaCommandTests.scans(dir)
        let base = ["meta-train", "--data", files[0], files[1], "--iterations", "4"] + MetaCommandTests.training
        func train(_ name: String, _ extra: [String]) throws -> (MetaModel, String) {
            let r = try runProcess(metagrappaPath, base + ["-o", dir.file(name)] + extra)
            try #require(r.status == 0, "\(extra): \(r.stderr)")
            return (try Self.model(dir.file(name)), r.stderr)
        }
        let (plain, _) = try train("plain.mgmeta", [])
        let bits = { (m: MetaModel) in m.initialParameters.map(\.bitPattern) + m.metaLearner.gates.map(\.bitPattern) }
        for extra in [["--theta-lr", "0.003"], ["--gate-lr", "0.03"], ["--input-gate-bias=-5"], ["--acs-readout", "16"]] {
            let (other, _) = try train("o.mgmeta", extra)
            #expect(bits(other) != bits(plain), "\(extra) changed nothing")
            if extra[0] == "--acs-readout" { #expect(other.acsReadoutWindow == 16 && plain.acsReadoutWindow != 16) }
        }
        // Learning rates that make validation worse at once: --patience N stops after N
        // validations without improvement (validation every 2 steps).
        for (patience, last) in [(1, 2), (3, 6)] {
            let (_, log) = try train("p.mgmeta", ["--iterations", "40", "--theta-lr", "0.5", "--gate-lr", "0.5", "--patience", "\(patience)"])
            let steps = log.split(separator: "\n").filter { $0.hasPrefix("step ") }.map { $0.split(separator: " ")[1] }
            #expect(steps.last == "\(last)/40", "--patience \(patience): last step \(steps.last ?? "none")")
        }
    }

    /// `--profile-only` measures the coil-array profile again from the given scans and stores it
    /// in the existing model, leaving θ₀ and the gates as they were.
    @Test func profileOnlyReplacesTheProfileAlone() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let files = try MetaCommandTests.scans(dir)
        let train = try runProcess(metagrappaPath, ["meta-train", "--data", files[0], files[1], "-o", dir.file("m.mgmeta"),
                                                    "--iterations", "2"] + MetaCommandTests.training)
        try #require(train.status == 0, "\(train.stderr)")
        let before = try Self.model(dir.file("m.mgmeta"))
        let profile = try runProcess(metagrappaPath, ["meta-train", "--data", files[2], files[1], "-o", dir.file("m.mgmeta"),
                                                      "--profile-only"] + MetaCommandTests.training)
        try #require(profile.status == 0, "\(profile.stderr)")
        #expect(profile.stderr.contains("measured again"), "\(profile.stderr)")
        let after = try Self.model(dir.file("m.mgmeta"))
        #expect(after.initialParameters.map(\.bitPattern) == before.initialParameters.map(\.bitPattern))
        #expect(after.metaLearner.gates.map(\.bitPattern) == before.metaLearner.gates.map(\.bitPattern))
        #expect(after.array.name == "user:scan3.npy" && before.array.name == "user:scan1.npy", "\(after.array.name)")
        #expect(after.array.signature != before.array.signature)
    }

    @Test func interruptSavesACheckpointAndResumeFinishesTheRun() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let arguments = try MetaTrainingKillTests.straightRun(dir, iterations: 200, checkpointEvery: 5)
        let output = dir.file("interrupted.mgmeta"), checkpoint = output + ".checkpoint"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: metagrappaPath)
        process.arguments = arguments + ["-o", output]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let start = Date()
        while process.isRunning && !FileManager.default.fileExists(atPath: checkpoint) && Date().timeIntervalSince(start) < 60 {
            Thread.sleep(forTimeInterval: 0.002)
        }
        try #require(process.isRunning, "the run ended before it could be interrupted")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 130, "exit \(process.terminationStatus)")
        #expect(message.contains("interrupted at step") && message.contains("--resume"), "\(message)")
        let resumed = try runProcess(metagrappaPath, arguments + ["-o", output, "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try MetaTrainingKillTests.expectSameModel(dir, output, "after Ctrl-C")
    }
}
