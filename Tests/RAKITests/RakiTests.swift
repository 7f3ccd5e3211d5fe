import Compute
import Foundation
import GRAPPA
import MRICore
import MRIIO
import Numerics
import RAKI
import Simulation
import Testing
import TestSupport

/// k-space made of a few point sources seen by coils with distinct gains: every missing
/// sample is an exact linear function of its acquired neighbours.
func predictableKSpace(coils: Int, ny: Int, nx: Int, sources: Int, seed: UInt64) -> KSpace {
    var rng = SeededGenerator(seed: seed)
    let points = (0..<sources).map { _ in (rng.uniform(), rng.uniform()) }
    let gains = (0..<(coils * sources)).map { _ in Complex(rng.normal(), rng.normal()) }
    var data = [Complex<Float>](repeating: .zero, count: coils * ny * nx)
    for c in 0..<coils { for y in 0..<ny { for x in 0..<nx {
        var z = Complex<Double>.zero
        for (p, (py, px)) in points.enumerated() {
            let phase = -2 * Double.pi * (Double(y) * py + Double(x) * px)
            z += gains[c * sources + p] * Complex(cos(phase), sin(phase))
        }
        data[(c * ny + y) * nx + x] = Complex(Float(z.real), Float(z.imaginary))
    } } }
    return try! KSpace(coils: coils, ny: ny, nx: nx, data: data)
}

func nrmse(_ k: KSpace, _ reference: KSpace) -> Double {
    ImageMetrics.nrmse(CenteredFFT.rssImage(of: k), CenteredFFT.rssImage(of: reference))
}

@Suite struct RakiTests {
    /// With identity activations RAKI is a linear interpolator: on exactly predictable
    /// data it must recover the interior missing samples, as GRAPPA does.
    @Test(arguments: [2, 3])
    func linearRakiRecoversPredictableDataLikeGrappa(r: Int) throws {
        let truth = predictableKSpace(coils: 4, ny: 64, nx: 40, sources: 2, seed: UInt64(r))
        let mask = try Acquisition.uniform(ny: 64, acceleration: r, acsLines: 24)
        var options = Raki.Options()
        options.linear = true
        options.iterations = 400
        options.learningRate = 1e-2
        let raki = try Raki(options: options).reconstruct(truth.masked(by: mask.mask), mask)
        let grappa = try Grappa(lambda: 1e-5).reconstruct(truth.masked(by: mask.mask), mask)
        var worstRaki: Float = 0, worstGrappa: Float = 0, peak: Float = 0
        for y in (2 * r)..<(64 - 2 * r) where !mask.mask.acquired[y] {
            for x in 3..<37 {
                for c in 0..<4 {
                    worstRaki = max(worstRaki, (raki[c, y, x] - truth[c, y, x]).length)
                    worstGrappa = max(worstGrappa, (grappa[c, y, x] - truth[c, y, x]).length)
                    peak = max(peak, truth[c, y, x].length)
                }
            }
        }
        #expect(worstRaki / peak < 1e-3, "R=\(r): linear RAKI interior error \(worstRaki / peak)")
        #expect(worstGrappa / peak < 1e-3)
    }

    @Test func trainingLowersTheLossAndFillsEveryMissingLine() throws {
        let full = try PhantomSimulator(ny: 64, nx: 48, coils: 6, seed: 4).simulate().noisy
        let mask = try Acquisition.uniform(ny: 64, acceleration: 3, acsLines: 20)
        var losses: [Float] = []
        var options = Raki.Options()
        options.iterations = 150
        let model = try Raki(options: options).train(full.masked(by: mask.mask), mask) { _, _, loss, _ in losses.append(loss) }
        #expect(losses.count == model.iterations && losses.count > 10)
        #expect(losses.last! < 0.2 * losses.first!, "loss \(losses.first!) → \(losses.last!)")
        #expect(model.finalLoss == losses.min()!)
        let acquired = full.masked(by: mask.mask)
        let out = try model.apply(to: acquired, mask)
        for c in 0..<6 {
            for y in 0..<64 {
                if mask.mask.acquired[y] {
                    for x in 0..<48 { #expect(out[c, y, x] == acquired[c, y, x]) }
                } else {
                    #expect((0..<48).contains { out[c, y, $0] != .zero }, "line \(y) of coil \(c) left empty")
                }
            }
        }
        #expect(nrmse(out, full) < nrmse(acquired, full))
    }

    @Test func sameSeedSameResult() throws {
        let full = try PhantomSimulator(ny: 48, nx: 40, coils: 4, seed: 2).simulate().noisy
        let mask = try Acquisition.uniform(ny: 48, acceleration: 2, acsLines: 16)
        var options = Raki.Options()
        options.iterations = 30
        let a = try Raki(options: options).reconstruct(full.masked(by: mask.mask), mask)
        let b = try Raki(options: options).reconstruct(full.masked(by: mask.mask), mask)
        options.seed = 2
        let c = try Raki(options: options).reconstruct(full.masked(by: mask.mask), mask)
        #expect(a == b)
        #expect(a != c)
    }

    /// The real in-vivo brain of the test data (16 coils, 128²; 24 ACS lines), recorded
    /// 2026-12-07 (AMD EPYC, OpenBLAS's default kernels). Under the Haswell, Zen and Sandybridge
    /// kernels (OPENBLAS_CORETYPE) the NRMSE moved by at most 0.1 % (R = 2), 0.6 % (R = 3) and
    /// 0.1 % (R = 4); 3 % covers that spread and fails a 5 % regression. This coil encodes the
    /// phase direction poorly: RAKI has 1/2.7 (R = 2) to 1/2.1 (R = 4) of zero-filling's error.
    @Test(arguments: [(2, 0.036893), (3, 0.052901), (4, 0.068042)])
    func realBrainReproducesItsRecordedAccuracy(r: Int, recorded: Double) throws {
        let full = try realBrain()
        let mask = try Acquisition.uniform(ny: full.ny, acceleration: r, acsLines: 24)
        let out = try Raki().reconstruct(full.masked(by: mask.mask), mask)
        let e = nrmse(out, full), zf = nrmse(full.masked(by: mask.mask), full)
        #expect(abs(e / recorded - 1) < 0.03, "R=\(r): RAKI \(e), recorded \(recorded)")
        #expect(e < zf / 1.8, "R=\(r): RAKI \(e) vs zero-filled \(zf)")
    }

    @Test func badSettingsAreRefused() throws {
        let full = try PhantomSimulator(ny: 48, nx: 40, coils: 4, seed: 2).simulate().noisy
        let mask = try Acquisition.uniform(ny: 48, acceleration: 4, acsLines: 16)
        var o = Raki.Options()
        o.iterations = 0
        #expect { try Raki(options: o).train(full, mask) } throws: { ($0 as? MRIError)?.setting == .iterations }
        o = Raki.Options()
        o.learningRate = -1
        #expect { try Raki(options: o).train(full, mask) } throws: { ($0 as? MRIError)?.setting == .learningRate }
        let small = try Acquisition.uniform(ny: 48, acceleration: 4, acsLines: 6)
        #expect { try Raki().train(full, small) } throws: { ($0 as? MRIError)?.message.contains("at least 9 lines") == true }
        let model = try Raki(options: { var x = Raki.Options(); x.iterations = 2; return x }()).train(full, mask)
        // The automatic budget gives the largest problems fewer iterations, within 100…1500.
        let auto = Raki.Options()
        #expect(auto.automaticIterations(coils: 32, acsLines: 33, readout: 288, acceleration: 4) < 500)
        #expect(auto.automaticIterations(coils: 16, acsLines: 24, readout: 96, acceleration: 2) == 1500)
        #expect(auto.automaticIterations(coils: 128, acsLines: 200, readout: 1024, acceleration: 6) == 100)
        let other = try PhantomSimulator(ny: 48, nx: 40, coils: 3, seed: 2).simulate().noisy
        #expect(throws: MRIError.self) { try model.apply(to: other, mask) }
    }
}

/// The trained network answers `f(x) − f(0)`: zero input, a zero estimate (the biases'
/// constant answer removed), whatever it learnt.
@Suite struct RakiZeroResponseTests {
    @Test func zeroInputGivesAZeroEstimate() throws {
        let full = try PhantomSimulator(ny: 48, nx: 40, coils: 4, seed: 2).simulate().noisy
        let mask = try Acquisition.uniform(ny: 48, acceleration: 2, acsLines: 16)
        var options = Raki.Options()
        options.iterations = 40
        let model = try Raki(options: options).train(full.masked(by: mask.mask), mask)
        try expectZeroResponse(model, full: full, mask: mask)
        // With a linear path trained alongside (no bias), still zero for zero.
        options.linearPath = true
        let joint = try Raki(options: options).train(full.masked(by: mask.mask), mask)
        #expect(joint.linearPath != nil && model.linearPath == nil)
        try expectZeroResponse(joint, full: full, mask: mask)
    }

    func expectZeroResponse(_ model: RakiModel, full: KSpace, mask: Acquisition) throws {
        let zero = try model.apply(to: KSpace(zerosCoils: 4, ny: 48, nx: 40), mask)
        let estimate = try model.apply(to: full.masked(by: mask.mask), mask)
        // f(0) is computed once and subtracted: zero up to that subtraction's rounding (measured
        // 2e-8 against estimates of ~1e-2), where without it the biases' answer would remain.
        let largest = estimate.data.map(\.length).max() ?? 0, residue = zero.data.map(\.length).max() ?? 0
        #expect(residue <= 1e-5 * largest, "|estimate(0)| up to \(residue), estimates up to \(largest)")
        #expect((0..<48).filter { !mask.mask.acquired[$0] }.allSatisfy { y in (0..<40).contains { estimate[0, y, $0] != .zero } })
    }
}
