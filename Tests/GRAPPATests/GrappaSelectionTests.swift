import Foundation
import GRAPPA
import MRICore
import Numerics
import Simulation
import Testing
import TestSupport

/// GRAPPA's automatic support and regularisation: the proxies' validation errors against a
/// direct Double computation, the choice against a grid searched on the noise-free image.
@Suite struct GrappaSelectionTests {
    /// A proxy of `g` at acceleration `r`: source offsets `R·j` (`j ≤ 0`) and `R·(j + 1)` (`j ≥ 1`), target `R`.
    static func offsets(_ g: GrappaKernelGeometry, _ r: Int) -> [Int] {
        (g.firstLine...g.lastLine).map { r * ($0 <= 0 ? $0 : $0 + 1) }
    }

    /// The proxy's mean squared error on the lattice lines outside the ACS, computed plainly:
    /// explicit rows, Double normal equations, Gaussian elimination.
    static func directError(_ k: KSpace, _ a: Acquisition, _ g: GrappaKernelGeometry, lambda: Double,
                            widestReadout: Int, covering: [Int], validationStride: Int) -> Double {
        let r = a.acceleration, acs = a.autoCalibrationLines, own = offsets(g, r)
        let hx = g.halfReadout, hw = widestReadout / 2, hc = covering.isEmpty ? 0 : 3
        func row(_ y: Int, _ x: Int) -> [Complex<Double>] {
            (0..<k.coils).flatMap { c in own.flatMap { o in (0..<g.readout).map { d in
                let z = k[c, y + o, x + d - hx]
                return Complex(Double(z.real), Double(z.imaginary))
            } } }
        }
        func target(_ y: Int, _ x: Int) -> [Complex<Double>] {
            (0..<k.coils).map { c in let z = k[c, y + r, x]; return Complex(Double(z.real), Double(z.imaginary)) }
        }
        let lo = acs.lowerBound - own.min()!, hi = acs.upperBound - 1 - max(own.max()!, r)
        let n = k.coils * own.count * g.readout, t = k.coils
        var gram = [[Complex<Double>]](repeating: [Complex<Double>](repeating: .zero, count: n + t), count: n)
        for y in lo...hi {
            for x in hw..<(k.nx - hw) {
                let s = row(y, x) + target(y, x)
                for i in 0..<n { for j in 0..<(n + t) { gram[i][j] += s[i].conjugate * s[j] } }
            }
        }
        let trace = (0..<n).reduce(0.0) { $0 + gram[$1][$1].real }
        for i in 0..<n { gram[i][i] += Complex(lambda * trace / Double(n), 0) }
        // Gaussian elimination on [G | H].
        for p in 0..<n {
            let pivot = gram[p][p]
            for i in (p + 1)..<n where true {
                let f = gram[i][p] / pivot
                for j in p..<(n + t) { gram[i][j] -= f * gram[p][j] }
            }
        }
        var w = [[Complex<Double>]](repeating: [Complex<Double>](repeating: .zero, count: t), count: n)
        for q in 0..<t {
            for i in stride(from: n - 1, through: 0, by: -1) {
                var v = gram[i][n + q]
                for j in (i + 1)..<n { v -= gram[i][j] * w[j][q] }
                w[i][q] = v / gram[i][i]
            }
        }
        let bases = (0..<k.ny).filter { y in
            a.lattice.contains(y) && y + r < k.ny && !acs.contains(y + r) && y + covering.min()! >= 0 && y + covering.max()! < k.ny
        }
        var sum = 0.0, count = 0
        for y in bases {
            for x in stride(from: hc, to: k.nx - hc, by: validationStride) {
                let s = row(y, x), b = target(y, x)
                for q in 0..<t {
                    var e = b[q]
                    for i in 0..<n { e -= s[i] * w[i][q] }
                    sum += e.lengthSquared
                    count += 1
                }
            }
        }
        return sum / Double(count)
    }

    @Test func proxyErrorsEqualADirectComputation() throws {
        let k = try PhantomSimulator(ny: 72, nx: 30, coils: 3, noiseLevel: 0.01, seed: 4).simulate().noisy
        let a = try Acquisition.uniform(ny: 72, acceleration: 3, acsLines: 26)
        let measured = k.masked(by: a.mask)
        for lambda in [1e-3, 0.1] {
            let selection = try GrappaSelection(measured, a, support: .automatic, lambda: .relative(lambda))
            #expect(selection.lambda == lambda)
            // Every candidate whose proxy fits the ACS was scored; check three of them directly.
            for g in [GrappaKernelGeometry(readout: 3, lines: 2), GrappaKernelGeometry(readout: 7, lines: 2),
                      GrappaKernelGeometry(readout: 5, lines: 4)] {
                let score = try #require(selection.scores.first { $0.geometry == g })
                let direct = Self.directError(measured, a, g, lambda: lambda, widestReadout: 7,
                                              covering: [-3, 0, 6, 9], validationStride: 1)
                #expect(abs(score.error - direct) / direct < 1e-3, "\(g) λ \(lambda): \(score.error) vs \(direct)")
            }
        }
    }

    /// R = 6 on a simulated 8-coil brain-sized phantom: the automatic choice against the best
    /// of a grid of supports and λ chosen on the noise-free image, and against the classic 4 × 5.
    @Test func choiceIsNearTheNoiseFreeOracleAtHighAcceleration() throws {
        var sim = PhantomSimulator(ny: 120, nx: 120, coils: 8, noiseLevel: 0.004, seed: 11)
        sim.objectScale = 0.8
        let scan = try sim.simulate()
        let reference = CenteredFFT.rssImage(of: scan.clean)
        let a = try Acquisition.uniform(ny: 120, acceleration: 6, acsLines: 32)
        let measured = scan.noisy.masked(by: a.mask)
        func error(_ g: Grappa) throws -> Double { ImageMetrics.nrmse(CenteredFFT.rssImage(of: try g.reconstruct(measured, a)), reference) }
        let auto = try error(.automatic)
        var oracle = Double.infinity
        for g in GrappaSelection.candidates where a.autoCalibrationLines.count >= g.minimumACSLines(acceleration: 6) {
            for e in stride(from: -5.0, through: 2.0, by: 0.5) { oracle = min(oracle, try error(Grappa(kernel: g, lambda: pow(10, e)))) }
        }
        let classic = try error(.classic)
        #expect(auto <= 1.03 * oracle, "auto \(auto), oracle \(oracle)")
        #expect(auto <= 0.8 * classic, "auto \(auto), classic \(classic)")
        // The same input gives the same choice.
        let first = try GrappaSelection(measured, a, support: .automatic, lambda: .automatic)
        let again = try GrappaSelection(measured, a, support: .automatic, lambda: .automatic)
        #expect(first.geometry == again.geometry && first.lambda == again.lambda)
    }

    @Test func fixedSettingsAreKeptAndRecordedInKernelFiles() throws {
        let k = try PhantomSimulator(ny: 64, nx: 40, coils: 4, seed: 2).simulate().noisy
        let a = try Acquisition.uniform(ny: 64, acceleration: 2, acsLines: 20)
        let fixedSupport = try Grappa(support: .fixed(.init(readout: 3, lines: 2))).calibrate(k, a)
        #expect(fixedSupport.geometry == GrappaKernelGeometry(readout: 3, lines: 2))
        let fixedLambda = try Grappa(lambda: 0.02).calibrate(k, a)
        #expect(fixedLambda.lambda == 0.02)
        let chosen = try Grappa.automatic.calibrate(k, a)
        let read = try GrappaKernel(serialized: chosen.serialized(), source: "memory")
        #expect(read == chosen && read.lambda == chosen.lambda && read.geometry == chosen.geometry)
    }

    /// A noise variance given (as noise-only data give it) replaces the scan's own estimate in
    /// the automatic λ: the λ is the least-risk one for that variance, computed directly.
    @Test func aGivenNoiseVarianceSetsTheAutomaticLambda() throws {
        let sim = try PhantomSimulator(ny: 96, nx: 80, coils: 6, noiseLevel: 0.01, noiseCorrelation: 0, seed: 5).simulate()
        let a = try Acquisition.uniform(ny: 96, acceleration: 3, acsLines: 24)
        let measured = sim.noisy.masked(by: a.mask)
        var added = 0.0
        for i in 0..<sim.noisy.data.count { added += Double((sim.noisy.data[i] - sim.clean.data[i]).lengthSquared) }
        added /= Double(sim.noisy.data.count)
        let estimated = try GrappaSelection(measured, a, support: .automatic, lambda: .automatic)
        for variance in [added, 16 * added] {
            let given = try GrappaSelection(measured, a, support: .automatic, lambda: .automatic, noiseVariance: variance)
            #expect(given.noiseVariance == variance)
            #expect(given.geometry == estimated.geometry, "the support does not depend on the noise")
            let direct = try GrappaSelection.leastRiskRegularization(measured, a, geometry: given.geometry, noise: variance)
            #expect(abs(given.lambda / direct.relative - 1) < 1e-9, "\(given.lambda) vs \(direct.relative)")
            var grappa = Grappa.automatic
            grappa.noiseVariance = variance
            #expect(try grappa.calibrate(measured, a).lambda == given.lambda)
        }
        let louder = try GrappaSelection(measured, a, support: .automatic, lambda: .automatic, noiseVariance: 16 * added)
        let right = try GrappaSelection(measured, a, support: .automatic, lambda: .automatic, noiseVariance: added)
        #expect(louder.lambda > 2 * right.lambda, "more noise, more regularisation")
        var bad = Grappa.automatic
        for v in [0.0, -1, .nan, .infinity] {
            bad.noiseVariance = v
            #expect { try bad.calibrate(measured, a) } throws: { ($0 as? MRIError)?.setting == .noiseVariance }
        }
    }

    @Test func anACSTooSmallForEveryCandidateIsRefused() throws {
        let k = try PhantomSimulator(ny: 64, nx: 40, coils: 4, seed: 2).simulate().noisy
        let a = try Acquisition.uniform(ny: 64, acceleration: 6, acsLines: 6)
        #expect { try Grappa.automatic.calibrate(k, a) } throws: {
            ($0 as? MRIError)?.setting == .acsLines && ($0 as? MRIError)?.message.contains("at least 7 lines") == true
        }
    }
}
