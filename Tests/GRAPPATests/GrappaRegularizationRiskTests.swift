import Compute
import Foundation
@_spi(Lab) @testable import GRAPPA
import MRICore
import MRIIO
import Numerics
import Simulation
import Testing
import TestSupport

/// The automatic λ: the closed-form fit quantities against a direct Double ridge solve, the
/// Marchenko–Pastur quantiles against sampled noise, the noise estimate against the noise
/// actually added, and the chosen λ against the best of a grid scored on the noise-free image.
@Suite struct GrappaRegularizationRiskTests {
    /// Explicit calibration rows of `g` on the ACS, in Double: sources `A` and targets `B`
    /// (row-major), the same positions as the normal equations use.
    static func rows(_ k: KSpace, _ a: Acquisition, _ g: GrappaKernelGeometry) -> (a: [[Complex<Double>]], b: [[Complex<Double>]]) {
        let r = a.acceleration, acs = a.autoCalibrationLines, hx = g.halfReadout
        let lo = acs.lowerBound - r * g.firstLine, hi = acs.upperBound - 1 - max(r * g.lastLine, r - 1)
        func z(_ c: Int, _ y: Int, _ x: Int) -> Complex<Double> { let v = k[c, y, x]; return Complex(Double(v.real), Double(v.imaginary)) }
        var sources: [[Complex<Double>]] = [], targets: [[Complex<Double>]] = []
        for base in lo...hi {
            for x in hx..<(k.nx - hx) {
                sources.append((0..<k.coils).flatMap { c in (g.firstLine...g.lastLine).flatMap { j in (0..<g.readout).map { d in z(c, base + r * j, x + d - hx) } } })
                targets.append((0..<k.coils).flatMap { c in (1..<r).map { m in z(c, base + m, x) } })
            }
        }
        return (sources, targets)
    }

    /// Solves `m · X = rhs` (both row-major, `m` square) by Gaussian elimination with partial pivoting.
    static func solve(_ m: [[Complex<Double>]], _ rhs: [[Complex<Double>]]) -> [[Complex<Double>]] {
        var (a, b) = (m, rhs)
        let n = a.count
        for p in 0..<n {
            let pivot = (p..<n).max { a[$0][p].length < a[$1][p].length }!
            a.swapAt(p, pivot); b.swapAt(p, pivot)
            for i in (p + 1)..<n {
                let f = a[i][p] / a[p][p]
                for j in p..<n { a[i][j] -= f * a[p][j] }
                for j in 0..<b[i].count { b[i][j] -= f * b[p][j] }
            }
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in 0..<b[i].count {
                var v = b[i][j]
                for q in (i + 1)..<n { v -= a[i][q] * b[q][j] }
                b[i][j] = v / a[i][i]
            }
        }
        return b
    }

    @Test func fitQuantitiesEqualADirectRidgeSolve() throws {
        let k = try PhantomSimulator(ny: 48, nx: 24, coils: 3, noiseLevel: 0.02, seed: 5).simulate().noisy
        let acquisition = try Acquisition.uniform(ny: 48, acceleration: 3, acsLines: 20)
        let measured = k.masked(by: acquisition.mask)
        let g = GrappaKernelGeometry(readout: 3, lines: 2)
        let spectrum = try GrappaFitSpectrum(measured, acquisition, geometry: g)
        let (a, b) = Self.rows(measured, acquisition, g)
        let n = a[0].count, t = b[0].count
        #expect(spectrum.rows == a.count && spectrum.unknowns == n && spectrum.targets == t)
        var gram = [[Complex<Double>]](repeating: [Complex<Double>](repeating: .zero, count: n), count: n)
        var rhs = [[Complex<Double>]](repeating: [Complex<Double>](repeating: .zero, count: t), count: n)
        for (s, y) in zip(a, b) {
            for i in 0..<n {
                for j in 0..<n { gram[i][j] += s[i].conjugate * s[j] }
                for q in 0..<t { rhs[i][q] += s[i].conjugate * y[q] }
            }
        }
        let meanDiagonal = (0..<n).reduce(0.0) { $0 + gram[$1][$1].real } / Double(n)
        #expect(abs(spectrum.meanDiagonal / meanDiagonal - 1) < 1e-4)
        #expect(abs(spectrum.targetEnergy / b.reduce(0.0) { $0 + $1.reduce(0.0) { $0 + $1.lengthSquared } } - 1) < 1e-9)
        for relative in [1e-3, 0.1] {
            var regularised = gram
            for i in 0..<n { regularised[i][i] += Complex(relative * meanDiagonal, 0) }
            let w = Self.solve(regularised, rhs)
            let hat = Self.solve(regularised, gram)
            var residual = 0.0
            for (s, y) in zip(a, b) {
                for q in 0..<t {
                    var e = y[q]
                    for i in 0..<n { e -= s[i] * w[i][q] }
                    residual += e.lengthSquared
                }
            }
            let freedom = (0..<n).reduce(0.0) { $0 + hat[$1][$1].real }
            let norm = w.reduce(0.0) { $0 + $1.reduce(0.0) { $0 + $1.lengthSquared } }
            let fit = spectrum.fit(relative: relative)
            #expect(abs(fit.residual / residual - 1) < 2e-3, "λ_rel \(relative): residual \(fit.residual) vs \(residual)")
            #expect(abs(fit.freedom / freedom - 1) < 1e-3, "λ_rel \(relative): df \(fit.freedom) vs \(freedom)")
            #expect(abs(fit.weightNorm / norm - 1) < 2e-3, "λ_rel \(relative): ‖W‖² \(fit.weightNorm) vs \(norm)")
        }
    }

    @Test func marchenkoPasturQuantilesMatchSampledNoise() {
        var generator = SeededGenerator(seed: 17)
        let columns = 400
        for rows in [2000, 500, 300] {
            var a = [Complex<Float>](repeating: .zero, count: rows * columns)
            for i in a.indices { a[i] = Complex(Float(generator.normal() / 2.squareRoot()), Float(generator.normal() / 2.squareRoot())) }
            var gram = [Complex<Float>](repeating: .zero, count: columns * columns)
            a.withUnsafeBufferPointer { ap in
                gram.withUnsafeMutableBufferPointer { gp in
                    ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: columns, n: columns, k: rows, alpha: Complex(1 / Float(rows), 0),
                                              a: ap.baseAddress!, lda: rows, b: ap.baseAddress!, ldb: rows, beta: .zero, c: gp.baseAddress!, ldc: columns)
                }
            }
            var values = [Float](repeating: 0, count: columns)
            let ok = gram.withUnsafeMutableBufferPointer { g in
                values.withUnsafeMutableBufferPointer { ComplexLinearAlgebra.hermitianEigen(a: g.baseAddress!, n: columns, lda: columns, values: $0.baseAddress!) }
            }
            #expect(ok)
            let gamma = Double(columns) / Double(rows)
            for p in [0.1, 0.5, 0.9] where p > 1 - 1 / gamma + 0.05 {
                let sampled = Double(values[Int(p * Double(columns))])
                let law = MarchenkoPastur.quantile(p, ratio: gamma)
                #expect(abs(sampled / law - 1) < 0.03, "γ \(gamma), p \(p): sampled \(sampled), law \(law)")
            }
        }
        // The law's mean is 1 whatever γ (E[AᴴA/rows] = I): the mean of its quantiles.
        for gamma in [0.3, 1, 2.0] {
            let mean = (0..<400).reduce(0.0) { $0 + MarchenkoPastur.quantile((Double($1) + 0.5) / 400, ratio: gamma) } / 400
            #expect(abs(mean - 1) < 5e-3, "γ \(gamma): mean \(mean)")
        }
    }

    @Test func noiseEstimateFollowsTheAddedNoise() throws {
        for noise in [0.003, 0.02] {
            var simulator = PhantomSimulator(ny: 128, nx: 128, coils: 8, noiseLevel: noise, seed: 9)
            simulator.objectScale = 0.8
            let scan = try simulator.simulate()
            var added = 0.0
            for i in scan.noisy.data.indices { added += Double((scan.noisy.data[i] - scan.clean.data[i]).lengthSquared) }
            added /= Double(scan.noisy.data.count)
            let acquisition = try Acquisition.uniform(ny: 128, acceleration: 4, acsLines: 32)
            let estimated = try GrappaRegularizationRisk.noiseVariance(scan.noisy.masked(by: acquisition.mask), acquisition)
            #expect(estimated > 0.95 * added && estimated < 1.25 * added, "σ \(noise): estimated \(estimated), added \(added)")
        }
    }

    /// The noise estimate read from the normal equations of a kernel that contains the noise
    /// support (the block of its 2 inner lines × 5 inner taps) against the same Marchenko–Pastur
    /// read of a Gram formed from explicit rows of those columns; and against the added noise.
    @Test func noiseEstimateFromAContainingKernelEqualsItsExplicitBlock() throws {
        var simulator = PhantomSimulator(ny: 96, nx: 64, coils: 20, noiseLevel: 0.01, seed: 4)
        simulator.objectScale = 0.8
        let scan = try simulator.simulate()
        let acquisition = try Acquisition.uniform(ny: 96, acceleration: 3, acsLines: 28)
        let measured = scan.noisy.masked(by: acquisition.mask)
        let noiseSupport = try GrappaRegularizationRisk.noiseGeometry(coils: 20, acquisition, nx: 64)
        #expect(noiseSupport == GrappaKernelGeometry(readout: 5, lines: 2))
        let kernel = GrappaKernelGeometry(readout: 7, lines: 4)
        let system = CalibrationNormalEquations(k: measured, acs: acquisition.autoCalibrationLines, acceleration: 3, geometry: kernel)
        let read = try GrappaRegularizationRisk.noiseVariance(measured, acquisition, calibration: system, kernel: kernel)
        // Explicit rows of the 4 × 7 kernel; the 2 × 5 block is lines 1…2, taps 1…5 of each coil.
        let (rows, _) = Self.rows(measured, acquisition, kernel)
        let columns = (0..<20).flatMap { c in (1...2).flatMap { j in (1...5).map { d in (c * 4 + j) * 7 + d } } }
        let n = columns.count
        let m = rows.count
        var a = [Complex<Float>](repeating: .zero, count: m * n)
        for (col, p) in columns.enumerated() { for i in 0..<m { a[col * m + i] = Complex(Float(rows[i][p].real), Float(rows[i][p].imaginary)) } }
        var gram = [Complex<Float>](repeating: .zero, count: n * n)
        a.withUnsafeBufferPointer { ap in
            gram.withUnsafeMutableBufferPointer { gp in
                ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: n, n: n, k: m, a: ap.baseAddress!, lda: m,
                                          b: ap.baseAddress!, ldb: m, c: gp.baseAddress!, ldc: n)
            }
        }
        var values = [Float](repeating: 0, count: n)
        let ok = gram.withUnsafeMutableBufferPointer { g in
            values.withUnsafeMutableBufferPointer { ComplexLinearAlgebra.hermitianEigenvalues(a: g.baseAddress!, n: n, lda: n, values: $0.baseAddress!) }
        }
        #expect(ok)
        let gamma = Double(n) / Double(m)
        let direct = Double(values[Int(0.1 * Double(n))]) / (Double(m) * MarchenkoPastur.quantile(0.1, ratio: gamma))
        #expect(abs(read / direct - 1) < 1e-3, "block \(read), explicit \(direct)")
        var added = 0.0
        for i in scan.noisy.data.indices { added += Double((scan.noisy.data[i] - scan.clean.data[i]).lengthSquared) }
        added /= Double(scan.noisy.data.count)
        #expect(read > 0.95 * added && read < 1.25 * added, "estimated \(read), added \(added)")
    }

    /// For a fixed support, the chosen λ against every λ of a fine grid scored on the
    /// noise-free image.
    @Test func chosenRegularizationIsNearTheBestOnTheNoiseFreeImage() throws {
        var fixedWorst = 0.0
        for (noise, r) in [(0.002, 4), (0.01, 4), (0.004, 6)] {
            var simulator = PhantomSimulator(ny: 128, nx: 128, coils: 8, noiseLevel: noise, seed: 21)
            simulator.objectScale = 0.8
            let scan = try simulator.simulate()
            let reference = CenteredFFT.rssImage(of: scan.clean)
            let acquisition = try Acquisition.uniform(ny: 128, acceleration: r, acsLines: 32)
            let measured = scan.noisy.masked(by: acquisition.mask)
            let g = GrappaKernelGeometry(readout: 7, lines: 2)
            let risk = try GrappaRegularizationRisk(measured, acquisition, geometry: g,
                                                    noise: try GrappaRegularizationRisk.noiseVariance(measured, acquisition))
            let chosen = risk.best()
            func error(_ lambda: Double) throws -> Double {
                ImageMetrics.nrmse(CenteredFFT.rssImage(of: try Grappa(kernel: g, lambda: lambda).reconstruct(measured, acquisition)), reference)
            }
            let best = try stride(from: -5.0, through: 2.0, by: 0.25).map { try error(pow(10, $0)) }.min()!
            let mine = try error(chosen)
            #expect(mine <= 1.03 * best, "σ \(noise), R \(r): chosen λ_rel \(chosen) gives \(mine), best \(best)")
            fixedWorst = max(fixedWorst, try error(Grappa.defaultLambda) / best)
        }
        // The cases discriminate: the fixed λ_rel misses the best by far more than 3 % on one.
        #expect(fixedWorst > 1.1, "fixed λ_rel at most \(fixedWorst) × the best")
    }
}
