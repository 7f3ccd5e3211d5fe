import Foundation
import GRAPPA
import MRICore
import MRIIO
import Simulation
import Testing
import TestSupport

@Suite struct ReconCommandTests {
    @Test func reconKeepsMeasuredSamplesAndMatchesTheLibrary() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let run = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("out.npy"), "--method", "grappa",
                                 "--accel", "3", "--acs", "20")
        #expect(run.status == 0, "\(run.stderr)")
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        let (out, stored) = try NpyFile.readKSpace(dir.file("out.npy"))
        #expect(stored == .complex64 && out.shape == full.shape)
        let mask = try Acquisition.uniform(ny: 64, acceleration: 3, acsLines: 20)
        let library = try Grappa().reconstruct(full.masked(by: mask.mask), mask)
        #expect(out == library)
        for c in 0..<8 { for y in 0..<64 where mask.mask.acquired[y] { for x in 0..<48 { #expect(out[c, y, x] == full[c, y, x]) } } }
        let reference = CenteredFFT.rssImage(of: full)
        let nrmse = ImageMetrics.nrmse(CenteredFFT.rssImage(of: out), reference)
        let zeroFilled = ImageMetrics.nrmse(CenteredFFT.rssImage(of: full.masked(by: mask.mask)), reference)
        #expect(nrmse < zeroFilled / 2, "GRAPPA \(nrmse) vs zero-filled \(zeroFilled)")
    }

    /// `auto` for the support and λ runs the library's per-scan choice, reports it, and records
    /// it in evaluate's results; fixed sizes and λ are obeyed.
    @Test func automaticAndFixedGrappaSettingsReachTheLibrary() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        let mask = try Acquisition.uniform(ny: 64, acceleration: 3, acsLines: 20)
        let auto = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("auto.npy"), "--accel", "3", "--acs", "20",
                                  "--kernel-lines", "auto", "--lambda", "auto", "--timing")
        #expect(auto.status == 0, "\(auto.stderr)")
        let kernel = try Grappa.automatic.calibrate(full.masked(by: mask.mask), mask)
        #expect(try NpyFile.readKSpace(dir.file("auto.npy")).kspace == Grappa.automatic.reconstruct(full.masked(by: mask.mask), mask))
        #expect(auto.stderr.contains("GRAPPA kernel: \(kernel.geometry), λ_rel"), "\(auto.stderr)")
        let fixed = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("fixed.npy"), "--accel", "3", "--acs", "20",
                                   "--kernel-lines", "2", "--kernel-readout", "7", "--lambda", "0.03")
        #expect(fixed.status == 0, "\(fixed.stderr)")
        let expected = try Grappa(kernel: .init(readout: 7, lines: 2), lambda: 0.03).reconstruct(full.masked(by: mask.mask), mask)
        #expect(try NpyFile.readKSpace(dir.file("fixed.npy")).kspace == expected)
        let evaluate = try metagrappa("evaluate", dir.file("full.npy"), "--accel", "3", "--acs", "20", "--lambda", "auto",
                                      "--kernel-readout", "auto", "--json", dir.file("r.json"))
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let json = try String(contentsOfFile: dir.file("r.json"), encoding: .utf8)
        #expect(json.contains("\"grappa_kernel\" : \"\(kernel.geometry.lines)x\(kernel.geometry.readout)\""), "\(json)")
    }

    @Test func maskFileGivesTheSameResultAsAccelAndACS() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let mask = try Acquisition.uniform(ny: 64, acceleration: 4, acsLines: 24)
        try NpyFile.write(mask.mask, to: dir.file("mask.npy"))
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        try NpyFile.write(full.masked(by: mask.mask), to: dir.file("acquired.npy"))
        let a = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("a.npy"), "--accel", "4", "--acs", "24")
        let b = try metagrappa("recon", dir.file("acquired.npy"), "-o", dir.file("b.npy"), "--mask", dir.file("mask.npy"))
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        #expect(try NpyFile.readKSpace(dir.file("a.npy")).kspace == NpyFile.readKSpace(dir.file("b.npy")).kspace)
    }

    @Test func complex128InputGivesComplex128Output() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        try NpyFile.write(full, to: dir.file("wide.npy"), as: .complex128)
        let run = try metagrappa("recon", dir.file("wide.npy"), "-o", dir.file("out.npy"), "--accel", "2", "--acs", "16")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try NpyFile.readKSpace(dir.file("out.npy")).storedAs == .complex128)
    }

    /// Work is split into a fixed number of chunks, so 1 and 2 threads run the same
    /// arithmetic: the outputs must be identical, bit for bit.
    @Test(arguments: ["grappa", "raki"])
    func sameOutputWithOneOrTwoThreads(method: String) throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        for threads in ["1", "2"] {
            let run = try runProcess(metagrappaPath, ["recon", dir.file("full.npy"), "-o", dir.file("out\(threads).npy"),
                                                      "--method", method, "--accel", "3", "--acs", "20", "--iterations", "15"],
                                     environment: ["METAGRAPPA_THREADS": threads])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let one = try Data(contentsOf: URL(fileURLWithPath: dir.file("out1.npy")))
        let two = try Data(contentsOf: URL(fileURLWithPath: dir.file("out2.npy")))
        #expect(one == two)
    }

    /// Meta-GRAPPA (shipped models, both variants) on a paper-array phantom: the same
    /// output, bit for bit, with 1 and 2 threads.
    @Test(arguments: ["paper", "residual"])
    func metaSameOutputWithOneOrTwoThreads(variant: String) throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        var simulator = PhantomSimulator(ny: 288, nx: 288, coils: 32, seed: 3)
        simulator.array = .paper
        try NpyFile.write(try simulator.simulate().noisy, to: dir.file("full.npy"))
        for threads in ["1", "2"] {
            let run = try runProcess(metagrappaPath, ["recon", dir.file("full.npy"), "-o", dir.file("out\(threads).npy"),
                                                      "--method", "meta", "--variant", variant, "--accel", "4", "--acs", "32",
                                                      "--allow-other-array"],
                                     environment: ["METAGRAPPA_THREADS": threads])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let one = try Data(contentsOf: URL(fileURLWithPath: dir.file("out1.npy")))
        let two = try Data(contentsOf: URL(fileURLWithPath: dir.file("out2.npy")))
        #expect(one == two)
    }

    @Test func evaluateWritesTheDocumentedJSON() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let run = try metagrappa("evaluate", dir.file("full.npy"), "--accel", "2", "--acs", "16", "--methods", "grappa",
                                 "--json", dir.file("r.json"), "--png", dir.file("r.png"))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("grappa") && run.stdout.contains("zero-filled"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("r.json")))) as! [String: Any]
        #expect(json["accel"] as? Int == 2 && json["acs"] as? Int == 16)
        let methods = json["methods"] as! [[String: Any]]
        #expect(methods.count == 1 && methods[0]["method"] as? String == "grappa")
        // The NRMSE reported equals one computed here from the library's reconstruction.
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        let mask = try Acquisition.uniform(ny: 64, acceleration: 2, acsLines: 16)
        let out = try Grappa().reconstruct(full.masked(by: mask.mask), mask)
        let nrmse = ImageMetrics.nrmse(CenteredFFT.rssImage(of: out), CenteredFFT.rssImage(of: full))
        #expect(abs((methods[0]["nrmse"] as! Double) - nrmse) < 1e-12)
        for key in ["psnr", "ssim", "seconds"] { #expect(methods[0][key] is Double) }
        #expect(FileManager.default.fileExists(atPath: dir.file("r.png")))
    }

    @Test func reportHasResultsFiguresAndASummary() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        try NpyFile.write(full, to: dir.file("second.npy"))
        let run = try metagrappa("evaluate", dir.file("full.npy"), dir.file("second.npy"), "--accel", "2,3", "--acs", "20",
                                 "--methods", "grappa", "--report", dir.file("report"), "--crop")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("| input | R | ACS | zero-filled | grappa |"))
        let runs = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("report/results.json")))) as! [[String: Any]]
        #expect(runs.count == 4 && Set(runs.map { $0["accel"] as! Int }) == [2, 3])
        let figures = try FileManager.default.contentsOfDirectory(atPath: dir.file("report")).filter { $0.hasSuffix(".png") }
        #expect(figures.count == 4)
        let report = try String(contentsOfFile: dir.file("report/report.md"), encoding: .utf8)
        #expect(report.contains("λ_rel") && report.contains("![figure-full-R2.png](figure-full-R2.png)"))
        // The same scan twice gives the same numbers.
        #expect((runs[0]["methods"] as! [[String: Any]])[0]["nrmse"] as! Double
                == (runs[2]["methods"] as! [[String: Any]])[0]["nrmse"] as! Double)
    }

    /// Without reinsertion the ACS lines are estimated too: the output differs from the
    /// input there, and the interpolation's error can only be larger.
    @Test func noAcsReinsertScoresTheInterpolationAlone() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        var nrmse: [Double] = []
        for extra in [[], ["--no-acs-reinsert"]] {
            let run = try runProcess(metagrappaPath, ["evaluate", dir.file("full.npy"), "--accel", "3", "--acs", "20",
                                                      "--json", dir.file("r.json")] + extra)
            #expect(run.status == 0, "\(run.stderr)")
            let j = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("r.json")))) as! [String: Any]
            #expect(j["acs_reinserted"] as? Bool == extra.isEmpty)
            nrmse.append((j["methods"] as! [[String: Any]])[0]["nrmse"] as! Double)
        }
        #expect(nrmse[1] > nrmse[0])
    }

    @Test func infoDetectsTheSampling() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let mask = try Acquisition.uniform(ny: 64, acceleration: 4, acsLines: 16)
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        try NpyFile.write(full.masked(by: mask.mask), to: dir.file("acquired.npy"))
        let run = try metagrappa("info", dir.file("acquired.npy"))
        #expect(run.status == 0)
        #expect(run.stdout.contains("[8, 64, 48]") && run.stdout.contains("uniform R=4"))
    }

    @Test func simulateIsDeterministic() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        for name in ["a.npy", "b.npy"] {
            let run = try metagrappa("simulate", "-o", dir.file(name), "--matrix", "32", "--coils", "4", "--seed", "3")
            #expect(run.status == 0, "\(run.stderr)")
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: dir.file("a.npy")))
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: dir.file("b.npy")))))
        #expect(try NpyFile.readKSpace(dir.file("a.npy")).kspace.shape == [4, 32, 32])
    }

    /// A numerical failure (RAKI diverging under a huge learning rate) exits 70, as the README
    /// documents, with one line naming the setting and no output file.
    @Test func numericalFailureExits70WithoutOutput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        try NpyFile.write(try PhantomSimulator(ny: 64, nx: 48, coils: 8, seed: 3).simulate().noisy, to: dir.file("full.npy"))
        let r = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("out.npy"), "--method", "raki", "--accel", "2",
                               "--acs", "16", "--learning-rate", "1e6", "--iterations", "50")
        #expect(r.status == 70 && !r.crashed, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("--learning-rate") && r.stderr.contains("diverged"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.npy")))
    }
}
