import Foundation
import MetaLearner
import MRICore
import Simulation
import Testing
import TestSupport

/// A tiny meta-training run (4 simulated coils, 48², R = 2): it learns, and a checkpointed,
/// resumed run is bit-identical to an uninterrupted one.
@Suite struct MetaTrainerTests {
    static func scan(_ seed: UInt64) throws -> KSpace {
        try PhantomSimulator(ny: 48, nx: 48, coils: 4, noiseLevel: 0.002, seed: seed).simulate().noisy
    }

    static var options: MetaTrainer.Options {
        var o = MetaTrainer.Options()
        (o.acceleration, o.hiddenChannels, o.steps) = (2, [8, 4], 3)
        o.thetaLearningRate = 3e-3
        return o
    }

    @Test func metaTrainingLowersTheMetaObjectiveOnAHeldOutScan() throws {
        let mask = try Acquisition.uniform(ny: 48, acceleration: 2, acsLines: 12)
        var trainer = try MetaTrainer(options: Self.options, coils: 4)
        let heldOut = try Self.scan(1000)
        let before = try trainer.metaGradient(scan: heldOut, mask, theta0: trainer.state.theta0,
                                              gates: trainer.state.gates).loss
        for i in 0..<60 { _ = try trainer.step(scan: try Self.scan(UInt64(i % 6)), mask) }
        let after = try trainer.metaGradient(scan: heldOut, mask, theta0: trainer.state.theta0,
                                             gates: trainer.state.gates).loss
        #expect(after < 0.5 * before, "meta-objective on a held-out scan: \(before) → \(after)")
    }

    @Test func resumedRunIsBitIdentical() throws {
        let mask = try Acquisition.uniform(ny: 48, acceleration: 2, acsLines: 12)
        var straight = try MetaTrainer(options: Self.options, coils: 4)
        for i in 0..<6 { _ = try straight.step(scan: try Self.scan(UInt64(i)), mask) }
        var first = try MetaTrainer(options: Self.options, coils: 4)
        for i in 0..<3 { _ = try first.step(scan: try Self.scan(UInt64(i)), mask) }
        let saved = try JSONEncoder().encode(first.state)
        var resumed = try MetaTrainer(options: Self.options, coils: 4,
                                      state: try JSONDecoder().decode(MetaTrainer.State.self, from: saved))
        for i in 3..<6 { _ = try resumed.step(scan: try Self.scan(UInt64(i)), mask) }
        #expect(resumed.state.iteration == 6)
        #expect(resumed.state.theta0.map(\.bitPattern) == straight.state.theta0.map(\.bitPattern))
        #expect(resumed.state.gates.map(\.bitPattern) == straight.state.gates.map(\.bitPattern))
    }
}
