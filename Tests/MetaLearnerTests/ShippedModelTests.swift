import Foundation
import MetaLearner
import MRICore
import MRIIO
import Testing
import TestSupport

/// The models shipped for the paper's array (32 loops, R = 4): embedded bytes equal the
/// files in Models/, they reproduce their recorded accuracy on paper-array slices, their T steps
/// lower the ACS loss of a scan they never saw, and scans of another array are refused.
@Suite struct ShippedModelTests {
    static let mask = try! Acquisition.uniform(ny: 288, acceleration: 4, acsLines: 32)

    static func simulator() throws -> BrainTaskSimulator {
        let volume = try NpyFile.read(sharedData("ch2_colin27_t1_181x217x181_uint8.npy"))
        let s = volume.header.shape
        return try BrainTaskSimulator(volume: volume.bytes, depth: s[0], height: s[1], width: s[2])
    }

    @Test(arguments: MetaVariant.allCases)
    func embeddedModelEqualsTheFileInModels(variant: MetaVariant) throws {
        let file = try Data(contentsOf: URL(fileURLWithPath: packageRoot + "/Models/paper-array-R4-\(variant.rawValue).mgmeta"))
        #expect(ShippedModels.bytes(for: variant) == Array(file), "run scripts/embed-models after changing Models/")
        let model = try #require(try ShippedModels.model(for: variant))
        #expect(model.variant == variant && model.acceleration == 4 && model.learner.coils == 32)
    }

    /// NRMSE of each shipped model, recorded 2026-11-29 (identical to 1e-8 under OpenBLAS's
    /// Haswell, Zen, SkylakeX and Sandybridge kernels, `OPENBLAS_CORETYPE`): on the shared
    /// simulated slice (Colin27 z = 95 through make_sim.py) and on a validation slice (z = 104)
    /// simulated here, against the fully sampled and the noise-free image respectively.
    static let recorded: [MetaVariant: (shared: Double, simulated: Double)] = [
        .paper: (0.038801, 0.054224), .residual: (0.038042, 0.047607),
    ]

    /// The shipped models reproduce their recorded accuracy within 0.5 % (a 2–5 % regression
    /// fails), and stay far below zero-filling.
    @Test(arguments: MetaVariant.allCases)
    func reproducesItsRecordedAccuracyOnPaperArraySlices(variant: MetaVariant) throws {
        let model = try #require(try ShippedModels.model(for: variant))
        let recorded = try #require(Self.recorded[variant])
        let shared = try NpyFile.readKSpace(sharedData("sim_brain_32ch_288x288_ch2.npy")).kspace
        let simulated = try Self.simulator().scan(slice: 104, seed: 424_242, noiseLevel: 0.004, augment: false)
        for (name, scan, reference, expected) in [("shared z=95", shared, CenteredFFT.rssImage(of: shared), recorded.shared),
                                                  ("simulated z=104", simulated.noisy, CenteredFFT.rssImage(of: simulated.clean),
                                                   recorded.simulated)] {
            let acquired = scan.masked(by: Self.mask.mask)
            let meta = ImageMetrics.nrmse(CenteredFFT.rssImage(of: try MetaGrappa(model: model).reconstruct(acquired, Self.mask)),
                                          reference)
            let zeroFilled = ImageMetrics.nrmse(CenteredFFT.rssImage(of: acquired), reference)
            #expect(abs(meta / expected - 1) < 0.005, "\(variant) on \(name): NRMSE \(meta), recorded \(expected)")
            #expect(3 * meta <= zeroFilled, "\(variant) on \(name): meta \(meta), zero-filled \(zeroFilled)")
        }
    }

    @Test(arguments: MetaVariant.allCases)
    func innerLoopLowersTheACSLossOnAFreshScan(variant: MetaVariant) throws {
        let model = try #require(try ShippedModels.model(for: variant))
        let scan = try Self.simulator().scan(slice: 107, seed: 777_777, noiseLevel: 0.006, augment: true)
        let (problem, theta, trace) = try MetaGrappa(model: model).adapt(scan.noisy.masked(by: Self.mask.mask), Self.mask)
        var network = model.learner.network(parameters: theta)
        let after = problem.trainingLoss(&network).loss
        #expect(trace.losses.count == model.metaLearner.steps)
        #expect(after < trace.losses[0], "\(variant): L_train \(trace.losses[0]) at θ₀ → \(after) at θ_T")
    }

    /// (What the fingerprint does not catch — swapped rings, rotated ring labels, the
    /// mirrored ring layout of `simulate --coils 32` — is measured in BENCHMARKS.md.)
    @Test func anotherArrayIsRefusedAndThePaperArrayAccepted() throws {
        let model = try #require(try ShippedModels.model(for: .paper))
        let shared = try NpyFile.readKSpace(sharedData("sim_brain_32ch_288x288_ch2.npy")).kspace
        let meta = MetaGrappa(model: model)
        try meta.validate(shared, Self.mask)
        // The same coils in another order (a different cable map) is another array.
        var permuted = shared
        let plane = 288 * 288
        for c in 0..<32 {
            let from = (c * 5) % 32
            for i in 0..<plane { permuted.data[c * plane + i] = shared.data[from * plane + i] }
        }
        #expect(throws: MRIError.self) { try meta.validate(permuted, Self.mask) }
        // Another coil count.
        let brain = try NpyFile.readKSpace(sharedData("brain_16ch_96x96_mchiew.npy")).kspace
        #expect(throws: MRIError.self) {
            try meta.validate(brain, try Acquisition.uniform(ny: 96, acceleration: 4, acsLines: 24))
        }
    }
}
