import Foundation
import MetaLearner
import MRICore
import MRIIO
import Simulation
import Testing
import TestSupport

/// The models shipped for the paper's array (32 loops; `paper` at R = 4, 5, 6, `residual` at
/// R = 4): embedded bytes equal the files in Models/, they reproduce their recorded accuracy
/// on paper-array slices, their T steps lower the ACS loss of a scan they never saw, and scans
/// of another array are refused.
@Suite struct ShippedModelTests {
    static let mask = try! Acquisition.uniform(ny: 288, acceleration: 4, acsLines: 32)
    static let shipped: [(MetaVariant, Int)] = [(.paper, 4), (.residual, 4), (.paper, 5), (.paper, 6)]

    static func simulator() throws -> BrainTaskSimulator {
        try BrainTaskSimulator(volume: try BrainVolume.colin27())
    }

    @Test(arguments: shipped)
    func embeddedModelEqualsTheFileInModels(variant: MetaVariant, r: Int) throws {
        let file = try Data(contentsOf: URL(fileURLWithPath: packageRoot + "/Models/paper-array-R\(r)-\(variant.rawValue).mgmeta"))
        #expect(ShippedModels.bytes(for: variant, acceleration: r) == Array(file), "touch Sources/CShippedData/shipped_data.c after changing Models/")
        let model = try #require(try ShippedModels.model(for: variant, acceleration: r))
        #expect(model.variant == variant && model.acceleration == r && model.learner.coils == 32)
    }

    /// Every file in Models/ is shipped, and nothing else.
    @Test func theShippedSetIsModels() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/Models").filter { $0.hasSuffix(".mgmeta") }.sorted()
        let expected = Self.shipped.map { "paper-array-R\($0.1)-\($0.0.rawValue).mgmeta" }.sorted()
        #expect(files == expected)
        #expect(ShippedModels.accelerations(for: .paper) == [4, 5, 6] && ShippedModels.accelerations(for: .residual) == [4])
        #expect { try ShippedModels.require(.residual, acceleration: 5) } throws: {
            "\($0)".contains("no meta model is shipped for variant 'residual' at R=5 (shipped: R=4)")
        }
    }

    /// NRMSE of each shipped model against the noise-free image, recorded 2026-12-07 (OpenBLAS
    /// Haswell kernels, as `OPENBLAS_CORETYPE` sets here), on two slices of the shipped Colin27
    /// volume through the paper's array: z = 95 at make_sim.py's noise (``simulatedBrain()``)
    /// and the validation slice z = 104.
    static let recorded: [String: (z95: Double, z104: Double)] = [
        "paper-R4": (0.053512, 0.051185), "residual-R4": (0.050576, 0.047607),
        "paper-R5": (0.060182, 0.057919), "paper-R6": (0.068831, 0.068041),
    ]

    /// The shipped models reproduce their recorded accuracy within 0.5 % (a 2–5 % regression
    /// fails), and stay far below zero-filling (a third of it at R = 4, 1/2.5 at R = 5 and 6).
    @Test(arguments: shipped)
    func reproducesItsRecordedAccuracyOnPaperArraySlices(variant: MetaVariant, r: Int) throws {
        let model = try #require(try ShippedModels.model(for: variant, acceleration: r))
        let recorded = try #require(Self.recorded["\(variant.rawValue)-R\(r)"])
        let mask = try Acquisition.uniform(ny: 288, acceleration: r, acsLines: 32)
        let z95 = try simulatedBrain()
        let z104 = try Self.simulator().scan(slice: 104, seed: 424_242, noiseLevel: 0.004, augment: false)
        for (name, scan, reference, expected) in [("z=95", z95.noisy, CenteredFFT.rssImage(of: z95.clean), recorded.z95),
                                                  ("z=104", z104.noisy, CenteredFFT.rssImage(of: z104.clean), recorded.z104)] {
            let acquired = scan.masked(by: mask.mask)
            let meta = ImageMetrics.nrmse(CenteredFFT.rssImage(of: try MetaGrappa(model: model).reconstruct(acquired, mask)),
                                          reference)
            let zeroFilled = ImageMetrics.nrmse(CenteredFFT.rssImage(of: acquired), reference)
            #expect(abs(meta / expected - 1) < 0.005, "\(variant) R=\(r) on \(name): NRMSE \(meta), recorded \(expected)")
            #expect((r == 4 ? 3 : 2.5) * meta <= zeroFilled, "\(variant) R=\(r) on \(name): meta \(meta), zero-filled \(zeroFilled)")
        }
    }

    @Test(arguments: shipped)
    func innerLoopLowersTheACSLossOnAFreshScan(variant: MetaVariant, r: Int) throws {
        let model = try #require(try ShippedModels.model(for: variant, acceleration: r))
        let mask = try Acquisition.uniform(ny: 288, acceleration: r, acsLines: 32)
        let scan = try Self.simulator().scan(slice: 107, seed: 777_777, noiseLevel: 0.006, augment: true)
        let (problem, theta, trace) = try MetaGrappa(model: model).adapt(scan.noisy.masked(by: mask.mask), mask)
        var network = model.learner.network(parameters: theta)
        let after = problem.trainingLoss(&network).loss
        #expect(trace.losses.count == model.metaLearner.steps)
        #expect(after < trace.losses[0], "\(variant) R=\(r): L_train \(trace.losses[0]) at θ₀ → \(after) at θ_T")
    }

    /// (What the fingerprint does not catch — swapped rings, rotated ring labels, the
    /// mirrored ring layout of `simulate --coils 32` — is measured in BENCHMARKS.md.)
    @Test func anotherArrayIsRefusedAndThePaperArrayAccepted() throws {
        let model = try #require(try ShippedModels.model(for: .paper))
        let paperArray = try simulatedBrain().noisy
        let meta = MetaGrappa(model: model)
        try meta.validate(paperArray, Self.mask)
        // The same coils in another order (a different cable map) is another array.
        var permuted = paperArray
        let plane = 288 * 288
        for c in 0..<32 {
            let from = (c * 5) % 32
            for i in 0..<plane { permuted.data[c * plane + i] = paperArray.data[from * plane + i] }
        }
        #expect(throws: MRIError.self) { try meta.validate(permuted, Self.mask) }
        // Another coil count.
        let brain = try realBrain()
        #expect(throws: MRIError.self) {
            try meta.validate(brain, try Acquisition.uniform(ny: brain.ny, acceleration: 4, acsLines: 24))
        }
    }
}
