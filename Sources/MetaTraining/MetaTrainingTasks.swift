import Compute
import Foundation
import MetaLearner
import MRICore
import MRIIO
import Simulation

/// Where meta-training gets its scans: simulated paper-array slices of the Colin27 volume
/// (train z ∈ [20, 100), validate z ∈ {100, 102, …, 108}; z ≥ 110 is the reserved test
/// subject and is never read), or a user's own fully sampled scans.
public struct MetaTrainingTasks: Sendable {
    /// Coils of every scan.
    public let coils: Int
    /// Name of the coil array (stored in the model's profile).
    public let arrayName: String
    /// Fully sampled training scan number `i` (deterministic for the seed).
    public let training: @Sendable (Int) throws -> KSpace
    /// Validation scans with the image each is judged against.
    public let validation: [(scan: KSpace, reference: RealImage)]

    /// Validation slices and their noise levels (high, middle, low SNR, cycled).
    public static let validationSlices = [100, 102, 104, 106, 108]
    public static let validationNoise = [0.002, 0.005, 0.0125, 0.002, 0.005]
    public static let trainingSlices = 20..<100

    /// The tasks a run asks for: the user's fully sampled scans where given, else simulated
    /// ones from the brain volume at `volume` (nil: the shipped Colin27 volume).
    public static func chosen(scans: [String], volume: String?, seed: UInt64, subjects: Bool) throws -> MetaTrainingTasks {
        guard scans.isEmpty else {
            guard !subjects else { throw MRIError(.invalidArgument, "varied subjects are for simulated tasks; they cannot apply to your own scans") }
            return try files(scans)
        }
        return try simulated(volume: volume.map(BrainVolume.read) ?? BrainVolume.colin27(), source: volume ?? "the shipped Colin27 volume",
                             seed: seed, subjects: subjects)
    }

    /// Simulated paper-array tasks from the Colin27 volume (``Simulation/BrainVolume/colin27()``,
    /// or another volume of at least 110 slices); with `subjects`, every training and
    /// validation scan also puts the array on a subject of its own
    /// (``Simulation/HeadPlacement``, default spread), so that a model learns the array, not
    /// one placement of it.
    public static func simulated(volume: BrainVolume, source: String, seed: UInt64, subjects: Bool = false) throws -> MetaTrainingTasks {
        guard volume.depth >= 110 else {
            throw MRIError(.format, "\(source): expected the Colin27 volume (≥ 110 slices), found \(volume.depth)")
        }
        let simulator = try BrainTaskSimulator(volume: volume)
        let validation = try zip(validationSlices, validationNoise).enumerated().map { i, sz in
            let placement = subjects ? HeadPlacement.random(coils: simulator.coils, seed: 9_100 + UInt64(i)) : nil
            let scan = try simulator.scan(slice: sz.0, seed: 9_000 + UInt64(i), noiseLevel: sz.1, augment: false, placement: placement)
            return (scan.noisy, CenteredFFT.rssImage(of: scan.clean))
        }
        return MetaTrainingTasks(coils: simulator.coils, arrayName: BrainTaskSimulator.arrayName, training: { i in
            var rng = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(i))
            let z = trainingSlices.lowerBound + Int(rng.next() % UInt64(trainingSlices.count))
            let scanSeed = rng.next()
            let placement = subjects ? HeadPlacement.random(coils: simulator.coils, seed: rng.next()) : nil
            return try simulator.scan(slice: z, seed: scanSeed, placement: placement).noisy
        }, validation: validation)
    }

    /// The user's scans: the last one validates (against its own fully sampled image),
    /// the others train, in turn.
    public static func files(_ paths: [String]) throws -> MetaTrainingTasks {
        guard paths.count >= 2 else {
            throw MRIError(.invalidArgument, "training on your own scans needs at least two fully sampled scans (the last one validates), found \(paths.count)")
        }
        let scans = try paths.map { try NpyFile.readKSpace($0).kspace }
        for (path, k) in zip(paths, scans) where k.coils != scans[0].coils {
            throw MRIError(.invalidArgument, "\(path) has \(k.coils) coils, \(paths[0]) has \(scans[0].coils): one model belongs to one coil array")
        }
        let train = Array(scans.dropLast())
        let name = "user:" + URL(fileURLWithPath: paths[0]).lastPathComponent
        return MetaTrainingTasks(coils: scans[0].coils, arrayName: name, training: { train[$0 % train.count] },
                                 validation: [(scans.last!, CenteredFFT.rssImage(of: scans.last!))])
    }

    /// The coil-array profile: mean fingerprint over the validation scans and the first
    /// training scans; the smallest partner agreement seen among them, less 0.1 (clamped
    /// to [0.5, 0.9]), is the least accepted.
    public func profile(acsLines: Int, samples: Int = 48) throws -> CoilArrayProfile {
        var scans = validation.map(\.scan)
        for i in 0..<samples { scans.append(try training(i)) }
        let signatures = scans.map { k in
            CoilArrayProfile.signature(of: k, acs: (k.ny / 2 - acsLines / 2)..<(k.ny / 2 - acsLines / 2 + acsLines))
        }
        var mean = [Float](repeating: 0, count: signatures[0].count)
        for s in signatures { for i in 0..<mean.count { mean[i] += s[i] / Float(signatures.count) } }
        let draft = CoilArrayProfile(name: arrayName, coils: coils, signature: mean, minimumAgreement: 0)
        let lowest = signatures.map(draft.agreement(with:)).min() ?? 1
        return CoilArrayProfile(name: arrayName, coils: coils, signature: mean, minimumAgreement: min(0.9, max(0.5, lowest - 0.1)))
    }
}
