import Compute
import Foundation
import MetaLearner
import MRICore
import Numerics
import NeuralNetwork
import Testing
import TestSupport

/// Model files: bit-exact round trip, corrupt files refused, mismatched scans refused.
@Suite struct MetaModelTests {
    static func smallModel(variant: MetaVariant = .paper) throws -> MetaModel {
        let learner = try LearnerCNN(coils: 2, acceleration: 2, hiddenChannels: [4, 3])
        var rng = SeededGenerator(seed: 11)
        let theta = (0..<learner.parameterCount).map { _ in Float(rng.normal()) * 0.1 }
        let gates = (0..<21).map { _ in Float(rng.normal()) }
        return try MetaModel(variant: variant, learner: learner, metaLearner: MetaLearnerLSTM(steps: 4, gates: gates),
                             initialParameters: theta,
                             array: CoilArrayProfile(name: "test", coils: 2, signature: [0.05], minimumAgreement: 0.7),
                             linearBranchLambda: variant == .residual ? 1e-3 : nil, provenance: ["note": "test"])
    }

    @Test func saveAndLoadIsBitExact() throws {
        for variant in MetaVariant.allCases {
            let model = try Self.smallModel(variant: variant)
            let bytes = try model.serialized()
            let loaded = try MetaModel(serialized: bytes, source: "test")
            #expect(loaded == model)
            #expect(loaded.initialParameters.map(\.bitPattern) == model.initialParameters.map(\.bitPattern))
            #expect(loaded.metaLearner.gates.map(\.bitPattern) == model.metaLearner.gates.map(\.bitPattern))
            #expect(try loaded.serialized() == bytes)
        }
    }

    @Test func corruptFilesAreRefusedWithAReason() throws {
        let bytes = try Self.smallModel().serialized()
        let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8
        var nan = bytes
        nan[16 + headerLength + 3] = 0x7F; nan[16 + headerLength + 2] = 0xC0
        var badJSON = bytes
        badJSON[17] = UInt8(ascii: "#")
        var badVersion = bytes
        badVersion[8] = 9
        let cases: [([UInt8], String)] = [
            ([], "magic"), (Array("hello world, not a model".utf8), "magic"),
            (Array(bytes.prefix(20)), "truncated"), (Array(bytes.dropLast(4)), "payload"),
            (bytes + [0, 0, 0, 0], "payload"), (nan, "NaN"), (badJSON, "JSON"), (badVersion, "version"),
        ]
        for (data, expected) in cases {
            do {
                _ = try MetaModel(serialized: data, source: "m.mgmeta")
                Issue.record("a corrupt model (\(expected)) was accepted")
            } catch let error as MRIError {
                #expect(error.message.contains("m.mgmeta") && error.message.contains(expected), "\(error.message)")
            }
        }
    }

    /// Eight coils mixing eight independent sources (a fixed random mixing, like overlapping
    /// loops): the same mixing of other data agrees with the profile; the coils in another
    /// order do not.
    @Test func coilNeighbourFingerprintTellsAPermutationApart() throws {
        var rng = SeededGenerator(seed: 21)
        let mixing = (0..<64).map { i in Float(i % 9 == 0 ? 1 : 0.6 * rng.uniform()) }
        func mixed(_ seed: UInt64, order: (Int) -> Int = { $0 }) -> KSpace {
            let z = randomKSpace(coils: 8, ny: 24, nx: 64, seed: seed)
            var k = KSpace(zerosCoils: 8, ny: 24, nx: 64)
            for c in 0..<8 { for j in 0..<8 { for i in 0..<(24 * 64) {
                k.data[c * 24 * 64 + i] += z.data[j * 24 * 64 + i] * Complex(mixing[order(c) * 8 + j], 0)
            } } }
            return k
        }
        let acs = 6..<18
        let profile = CoilArrayProfile(name: "eight", coils: 8, signature: CoilArrayProfile.signature(of: mixed(1), acs: acs),
                                       minimumAgreement: 0.7)
        #expect(profile.agreement(with: CoilArrayProfile.signature(of: mixed(2), acs: acs)) >= 0.9)
        let permuted = mixed(2) { ($0 * 3) % 8 }
        #expect(profile.agreement(with: CoilArrayProfile.signature(of: permuted, acs: acs)) < 0.7)
        #expect(throws: MRIError.self) { try profile.check(permuted, acs: acs, source: "scan") }
        try profile.check(mixed(3), acs: acs, source: "scan")
    }

    @Test func scansOfAnotherArrayOrRAreRefused() throws {
        let model = try Self.smallModel()
        let meta = MetaGrappa(model: model)
        let mask = try Acquisition.uniform(ny: 24, acceleration: 2, acsLines: 12)
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        // Coil count.
        let threeCoils = randomKSpace(coils: 3, ny: 24, nx: 12, seed: 1)
        #expect(message { try meta.validate(threeCoils, mask) }.contains("3 coils"))
        #expect { try meta.validate(threeCoils, mask) } throws: { ($0 as? MRIError)?.setting == .metaModel }
        let independent = randomKSpace(coils: 2, ny: 24, nx: 12, seed: 2)
        #expect(message { try meta.validate(independent, mask) } == "")
        // R.
        let r3 = try Acquisition.uniform(ny: 24, acceleration: 3, acsLines: 12)
        #expect(message { try meta.validate(independent, r3) }.contains("R=2"))
    }
}
