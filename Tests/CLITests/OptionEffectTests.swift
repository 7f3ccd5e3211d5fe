import Foundation
import GRAPPA
import MetaLearner
import MRICore
import MRIIO
import RAKI
import Reconstruction
import Simulation
import Testing
import TestSupport

/// Options no other test exercised: each run through the command line must equal the
/// library called with that setting, and differ from the run without it (so an option that
/// were ignored would fail).
@Suite struct OptionEffectTests {
    @Test func grappaSolverQR() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        let mask = try Acquisition.uniform(ny: 64, acceleration: 2, acsLines: 16)
        let r = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("qr.npy"), "--accel", "2", "--acs", "16", "--solver", "qr")
        try #require(r.status == 0, "\(r.stderr)")
        let qr = try NpyFile.readKSpace(dir.file("qr.npy")).kspace
        #expect(qr == (try Grappa(solver: .qr).reconstruct(full.masked(by: mask.mask), mask)))
        #expect(qr != (try Grappa().reconstruct(full.masked(by: mask.mask), mask)))
    }

    /// No GRAPPA option is the per-scan choice of support and λ; one size alone fixes the
    /// support with the classic value for the other size and leaves λ to the scan; the classic
    /// settings are three options away.
    @Test func grappaDefaultsAndOneSizeAlone() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        let mask = try Acquisition.uniform(ny: 64, acceleration: 3, acsLines: 24)
        let measured = full.masked(by: mask.mask)
        func cli(_ extra: [String]) throws -> KSpace {
            let r = try metagrappa(["recon", dir.file("full.npy"), "-o", dir.file("o.npy"), "--accel", "3", "--acs", "24"] + extra)
            try #require(r.status == 0, "\(r.stderr)")
            return try NpyFile.readKSpace(dir.file("o.npy")).kspace
        }
        let automatic = try Grappa.automatic.reconstruct(measured, mask), classic = try Grappa.classic.reconstruct(measured, mask)
        #expect(try cli([]) == automatic && automatic != classic)
        let twoLines = try Grappa(support: .fixed(GrappaKernelGeometry(readout: 5, lines: 2)), lambda: .automatic)
        #expect(try cli(["--kernel-lines", "2"]) == (try twoLines.reconstruct(measured, mask)))
        #expect(try cli(["--kernel-lines", "4", "--kernel-readout", "5", "--lambda", "1e-4"]) == classic)
        #expect(try cli(["--kernel-lines", "2", "--kernel-readout", "auto"]) == automatic)
    }

    @Test func reconVirtualCoils() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        let mask = try Acquisition.uniform(ny: 64, acceleration: 2, acsLines: 16)
        let r = try metagrappa("recon", dir.file("full.npy"), "-o", dir.file("vc.npy"), "--accel", "2", "--acs", "16", "--virtual-coils", "4")
        try #require(r.status == 0, "\(r.stderr)")
        let cli = try NpyFile.readKSpace(dir.file("vc.npy")).kspace
        let library = try CoilCompressedReconstructor(GrappaReconstructor(Grappa()), virtualCoils: 4)
            .reconstruct(full.masked(by: mask.mask), mask).kspace
        let equal = cli == library, changed = cli != (try Grappa().reconstruct(full.masked(by: mask.mask), mask))
        #expect(equal && changed)
    }

    @Test func rakiOptions() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        let mask = try Acquisition.uniform(ny: 64, acceleration: 2, acsLines: 16)
        var base = Raki.Options()
        base.iterations = 200
        let variants: [([String], (inout Raki.Options) -> Void)] = [
            (["--learning-rate", "0.001"], { $0.learningRate = 0.001 }),
            (["--hidden", "16,8"], { $0.hiddenChannels = (16, 8) }),
            (["--plateau-window", "2"], { $0.plateauWindow = 2 }),
            (["--whitening-ridge", "0"], { $0.whiteningRidge = nil }),
            (["--seed", "7"], { $0.seed = 7 }),
        ]
        let plain = try Raki(options: base).reconstruct(full.masked(by: mask.mask), mask)
        for (arguments, set) in variants {
            var options = base
            set(&options)
            let out = dir.file("raki.npy")
            let r = try metagrappa(["recon", dir.file("full.npy"), "-o", out, "--method", "raki", "--accel", "2", "--acs", "16",
                                    "--iterations", "200"] + arguments)
            try #require(r.status == 0, "\(arguments): \(r.stderr)")
            let cli = try NpyFile.readKSpace(out).kspace
            let equal = cli == (try Raki(options: options).reconstruct(full.masked(by: mask.mask), mask)), changed = cli != plain
            #expect(equal, "\(arguments): the command line differs from the library")
            #expect(changed, "\(arguments) changed nothing")
        }
    }

    @Test func simulateOptions() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let rings = try metagrappa("simulate", "-o", dir.file("r.npy"), "--coils", "6", "--ny", "40", "--nx", "36",
                                   "--object-scale", "0.6", "--noise", "0.02", "--correlation", "0.1", "--seed", "9",
                                   "--clean", dir.file("rc.npy"))
        let paper = try metagrappa("simulate", "-o", dir.file("p.npy"), "--array", "paper", "--matrix", "48", "--seed", "9")
        try #require(rings.status == 0 && paper.status == 0, "\(rings.stderr) \(paper.stderr)")
        var sim = PhantomSimulator(ny: 40, nx: 36, coils: 6, noiseLevel: 0.02, noiseCorrelation: 0.1, seed: 9)
        sim.objectScale = 0.6
        let expected = try sim.simulate()
        let noisyEqual = try NpyFile.readKSpace(dir.file("r.npy")).kspace == expected.noisy
        let cleanEqual = try NpyFile.readKSpace(dir.file("rc.npy")).kspace == expected.clean
        #expect(noisyEqual && cleanEqual, "simulate differs from the library")
        var other = sim
        other.objectScale = 0.85
        let scaleMatters = try other.simulate().clean != expected.clean
        other = sim
        other.noiseLevel = 0.004
        let noiseMatters = try other.simulate().noisy != expected.noisy
        #expect(scaleMatters && noiseMatters)
        var paperSim = PhantomSimulator(ny: 48, nx: 48, coils: 32, seed: 9)
        paperSim.array = .paper
        let paperEqual = try NpyFile.readKSpace(dir.file("p.npy")).kspace == paperSim.simulate().noisy
        paperSim.array = .rings
        let arrayMatters = try NpyFile.readKSpace(dir.file("p.npy")).kspace != paperSim.simulate().noisy
        #expect(paperEqual && arrayMatters, "--array paper")
    }

    @Test func evaluateOptions() throws {
        let dir = try scanDirectory()
        defer { dir.cleanup() }
        let (full, _) = try NpyFile.readKSpace(dir.file("full.npy"))
        func run(_ extra: [String], _ name: String) throws -> Evaluation.Run {
            let r = try metagrappa(["evaluate", dir.file("full.npy"), "--accel", "2", "--acs", "16", "--methods", "grappa",
                                    "--json", dir.file(name + ".json"), "--png", dir.file(name + ".png")] + extra)
            try #require(r.status == 0, "\(extra): \(r.stderr)")
            return try JSONDecoder().decode(Evaluation.Run.self, from: Data(contentsOf: URL(fileURLWithPath: dir.file(name + ".json"))))
        }
        let plain = try run([], "plain"), compressed = try run(["--virtual-coils", "3"], "vc")
        var settings = ReconstructionSettings(method: .grappa)
        settings.virtualCoils = 3
        let (expected, _) = try Evaluation(methods: [.grappa], settings: settings).run(full, input: "x", acceleration: 2, acsLines: 16)
        #expect(compressed.methods[0].nrmse == expected.methods[0].nrmse)
        #expect(compressed.methods[0].nrmse != plain.methods[0].nrmse, "--virtual-coils changed nothing")
        _ = try run(["--error-scale", "3"], "scaled")
        let figure = try Data(contentsOf: URL(fileURLWithPath: dir.file("plain.png")))
        #expect(figure != (try Data(contentsOf: URL(fileURLWithPath: dir.file("scaled.png")))), "--error-scale changed nothing")
    }

    /// The shipped model refuses a 32-coil scan of another array (the paper array's coils in
    /// another order) and `--allow-other-array` accepts it, as the library does.
    @Test func otherArrayRefusedUnlessAllowed() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let brain = try simulatedBrain().noisy
        var permuted = brain
        let plane = 288 * 288
        for c in 0..<32 { for i in 0..<plane { permuted.data[c * plane + i] = brain.data[((c * 5) % 32) * plane + i] } }
        try NpyFile.write(permuted, to: dir.file("other.npy"))
        let refused = try metagrappa("recon", dir.file("other.npy"), "-o", dir.file("o.npy"), "--method", "meta", "--accel", "4")
        #expect(refused.status == 64 && refused.stderr.contains("--allow-other-array"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("o.npy")))
        let allowed = try metagrappa("recon", dir.file("other.npy"), "-o", dir.file("o.npy"), "--method", "meta", "--accel", "4",
                                     "--allow-other-array")
        try #require(allowed.status == 0, "\(allowed.stderr)")
        let mask = try Acquisition.uniform(ny: 288, acceleration: 4, acsLines: 32)
        var meta = MetaGrappa(model: try #require(try ShippedModels.model(for: .paper)))
        meta.allowOtherArray = true
        let equal = try NpyFile.readKSpace(dir.file("o.npy")).kspace == meta.reconstruct(permuted.masked(by: mask.mask), mask)
        #expect(equal, "--allow-other-array: the command line differs from the library")
    }

    @Test func evaluateResidualVariant() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.file("brain.npy")
        try NpyFile.write(try simulatedBrain().noisy, to: path)
        func run(_ variant: String) throws -> Evaluation.Run {
            let r = try metagrappa("evaluate", path, "--accel", "4", "--acs", "32", "--methods", "meta", "--variant", variant,
                                   "--json", dir.file(variant + ".json"))
            try #require(r.status == 0, "\(variant): \(r.stderr)")
            return try JSONDecoder().decode(Evaluation.Run.self, from: Data(contentsOf: URL(fileURLWithPath: dir.file(variant + ".json"))))
        }
        let residual = try run("residual"), paper = try run("paper")
        var settings = ReconstructionSettings(method: .meta)
        settings.metaModel = try ShippedModels.model(for: .residual)
        let (expected, _) = try Evaluation(methods: [.meta], settings: settings)
            .run(try NpyFile.readKSpace(path).kspace, input: path, acceleration: 4, acsLines: 32)
        #expect(residual.methods[0].nrmse == expected.methods[0].nrmse)
        #expect(residual.methods[0].nrmse != paper.methods[0].nrmse, "--variant changed nothing")
    }
}
