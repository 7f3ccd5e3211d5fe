import Compute
import Foundation
import MRICore
import Numerics

/// λ for a given kernel support, chosen by the error it is expected to leave on the missing
/// samples of the whole scan, estimated from the scan itself.
///
/// That error has two parts. The *model error*, what the kernel cannot explain: estimated on
/// the ACS by generalised cross-validation (GCV) of the ridge fit, less the noise the fit's
/// residual carries (the targets' own noise and the sources' noise passed through the
/// kernel), and scaled from the ACS to the missing lines by their signal energy, which the
/// measured lines around them show. And the *noise* the kernel passes from the measured
/// samples into every estimated one, `σ²‖W‖²` per estimate. Small λ fits the strong ACS
/// centre best; the weak outer lines, where the noise term dominates, want more; the sum
/// balances the two as the whole image does.
///
/// The noise variance σ² comes from normal equations as well: the calibration matrix of a
/// multi-coil k-space has far fewer signal dimensions than columns, so its smallest
/// eigenvalues are noise, distributed as Marchenko–Pastur predicts for the matrix's shape.
/// Their 10 % quantile divided by the law's gives σ² (``noiseVariance(_:_:)``).
@_spi(Lab) public struct GrappaRegularizationRisk {
    /// λ_rel tested: quarter-decades from 1e-5 (below, float32 normal equations can fail) to 100.
    static let candidates: [Double] = stride(from: -5.0, through: 2.0, by: 0.25).map { pow(10, $0) }

    let spectrum: GrappaFitSpectrum
    /// Noise variance of one k-space sample of one coil.
    let noise: Double
    /// Estimated noise-free energy of the missing samples, and the kernel applications that
    /// estimate them (each gives all `R − 1` lines of one readout position).
    let missingEnergy: Double, applications: Double

    /// The risk of `geometry`'s kernel on `k`, whose noise variance per sample is `noise`.
    init(_ k: KSpace, _ acquisition: Acquisition, geometry: GrappaKernelGeometry, noise: Double) throws {
        try self.init(k, acquisition, spectrum: GrappaFitSpectrum(k, acquisition, geometry: geometry), noise: noise)
    }

    /// The risk of the kernel whose ACS fit on `k` is `spectrum`.
    init(_ k: KSpace, _ acquisition: Acquisition, spectrum: GrappaFitSpectrum, noise: Double) {
        self.spectrum = spectrum
        self.noise = noise
        // Row energies of the measured lines, less their noise; missing rows interpolated
        // linearly between the measured rows around them (the nearest one beyond the last).
        let mask = acquisition.mask.acquired
        let measured = (0..<k.ny).filter { mask[$0] }
        let floor = Double(k.coils * k.nx) * noise
        var clean = [Double](repeating: 0, count: k.ny)
        for y in measured {
            var e = 0.0
            for c in 0..<k.coils { for x in 0..<k.nx { e += Double(k[c, y, x].lengthSquared) } }
            clean[y] = max(e - floor, 0)
        }
        var energy = 0.0, missing = 0
        var below = 0
        for y in 0..<k.ny where !mask[y] {
            missing += 1
            while below + 1 < measured.count && measured[below + 1] < y { below += 1 }
            let (a, b) = (measured[below], below + 1 < measured.count ? measured[below + 1] : measured[below])
            if y < a || a == b {
                energy += clean[y < a ? a : b]
            } else {
                let t = Double(y - a) / Double(b - a)
                energy += (1 - t) * clean[a] + t * clean[b]
            }
        }
        missingEnergy = energy
        applications = Double(missing * k.nx) / Double(acquisition.acceleration - 1)
    }

    /// Fewest unknowns of the calibration whose eigenvalues give σ²: with fewer, signal
    /// reaches down into the smallest eigenvalues (a 2 × 3 kernel on 12 coils overestimated σ²
    /// up to 7× on simulated high-SNR scans; the rule's kernels stayed within 0.98–1.52×:
    /// BENCHMARKS.md).
    static let noiseUnknowns = 192

    /// The support whose normal equations give σ² on `coils` coils: the smallest candidate of at
    /// least 5 readout samples with at least ``noiseUnknowns`` unknowns (the largest the ACS
    /// holds if none has; 3-sample kernels read signal as noise: up to 6.9× on the shared
    /// 16-coil brain, where this choice gives 0.78–0.98× the variance of its image background).
    static func noiseGeometry(coils: Int, _ acquisition: Acquisition, nx: Int) throws -> GrappaKernelGeometry {
        let r = acquisition.acceleration, acs = acquisition.autoCalibrationLines
        let fitting = try GrappaSelection.fittingCandidates(acsLines: acs.count, acceleration: r, nx: nx)
            .sorted { $0.lines * $0.readout < $1.lines * $1.readout }
        let wide = fitting.filter { $0.readout >= 5 }
        return wide.first(where: { coils * $0.lines * $0.readout >= noiseUnknowns }) ?? wide.last ?? fitting.last!
    }

    /// σ² of `k`'s own coils, from the smallest eigenvalues of the normal equations of
    /// ``noiseGeometry(coils:_:nx:)``'s support, against the Marchenko–Pastur law of a
    /// `rows × unknowns` matrix of unit-variance noise. Virtual coils would not do:
    /// compression keeps the signal's dimensions and drops noise-only ones (8 virtual coils of
    /// that brain gave 2.5–3.8× its background's variance; BENCHMARKS.md).
    @_spi(Lab) public static func noiseVariance(_ k: KSpace, _ acquisition: Acquisition) throws -> Double {
        try noiseVariance(k, acquisition, geometry: noiseGeometry(coils: k.coils, acquisition, nx: k.nx))
    }

    /// σ² of `k`'s own coils from the normal equations of `g`.
    static func noiseVariance(_ k: KSpace, _ acquisition: Acquisition, geometry g: GrappaKernelGeometry) throws -> Double {
        let r = acquisition.acceleration, acs = acquisition.autoCalibrationLines
        // The sources' Gram alone: the targets lie between the source lines, so the positions
        // are the kernel's and the matrix the leading block of its normal equations, without
        // the correlations with the targets' columns (most of the cost on 32 coils).
        let system = CalibrationNormalEquations(k: k, acs: acs, sourceOffsets: (g.firstLine...g.lastLine).map { r * $0 },
                                                targetOffsets: [], readout: g.readout)
        var gram = system.gram
        return try noiseVariance(gram: &gram, unknowns: system.unknowns, rows: system.bases * (k.nx - 2 * g.halfReadout))
    }

    /// σ² of `k`'s own coils, read from `calibration`, the normal equations of a kernel of
    /// support `kernel` fitted on them, where that support contains the noise support (its
    /// Gram is then a block of `calibration`'s, over the kernel's calibration positions);
    /// otherwise computed anew.
    static func noiseVariance(_ k: KSpace, _ acquisition: Acquisition, calibration: CalibrationNormalEquations,
                              kernel: GrappaKernelGeometry) throws -> Double {
        let g = try noiseGeometry(coils: k.coils, acquisition, nx: k.nx)
        guard g.firstLine >= kernel.firstLine, g.lastLine <= kernel.lastLine, g.readout <= kernel.readout else {
            return try noiseVariance(k, acquisition, geometry: g)
        }
        let (lineShift, tapShift) = (g.firstLine - kernel.firstLine, kernel.halfReadout - g.halfReadout)
        let columns = (0..<k.coils).flatMap { c in
            (0..<g.lines).flatMap { j in (0..<g.readout).map { d in ((c * kernel.lines + j + lineShift) * kernel.readout) + d + tapShift } }
        }
        let n = columns.count, big = calibration.unknowns
        var gram = [Complex<Float>](repeating: .zero, count: n * n)
        for (col, from) in columns.enumerated() { for (row, other) in columns.enumerated() { gram[col * n + row] = calibration.gram[from * big + other] } }
        return try noiseVariance(gram: &gram, unknowns: n, rows: calibration.rows(nx: k.nx, halfReadout: kernel.halfReadout))
    }

    /// σ² from the Gram matrix (destroyed) of `rows` calibration positions.
    private static func noiseVariance(gram: inout [Complex<Float>], unknowns n: Int, rows: Int) throws -> Double {
        var values = [Float](repeating: 0, count: n)
        let ok = gram.withUnsafeMutableBufferPointer { a in
            values.withUnsafeMutableBufferPointer { ComplexLinearAlgebra.hermitianEigenvalues(a: a.baseAddress!, n: n, lda: n, values: $0.baseAddress!) }
        }
        guard ok else { throw MRIError(.numerical, "eigenvalues of the GRAPPA normal equations did not converge") }
        let gamma = Double(n) / Double(rows)
        // Beyond square, 1 − 1/γ of the eigenvalues are zero whatever the noise: skip them.
        let zero = max(0, 1 - 1 / gamma)
        let p = zero + 0.1 * (1 - zero)
        let observed = Double(values[min(n - 1, Int(p * Double(n)))])
        return max(observed, 0) / (Double(rows) * MarchenkoPastur.quantile(p, ratio: gamma))
    }

    /// Expected squared error of the missing samples at λ_rel `relative` (∞ where the GCV
    /// denominator vanishes).
    func risk(relative: Double) -> Double {
        let s = spectrum, n = Double(s.rows), t = Double(s.targets)
        let fit = s.fit(relative: relative)
        guard fit.freedom < 0.99 * n else { return .infinity }
        let gcv = (fit.residual / n) / pow(1 - fit.freedom / n, 2)
        let passed = noise * fit.weightNorm
        let model = max(gcv - t * noise - passed, 0)
        let acsEnergy = max(s.targetEnergy - n * t * noise, .leastNormalMagnitude)
        let ratio = (missingEnergy / applications) / (acsEnergy / n)
        return applications * (model * ratio + passed)
    }

    /// The candidate λ_rel of least risk.
    func best() -> Double {
        Self.candidates.min { risk(relative: $0) < risk(relative: $1) }!
    }
}

/// The Marchenko–Pastur law: the eigenvalues of `AᴴA / rows` for a `rows × columns` matrix `A`
/// of independent unit-variance entries, `ratio = columns / rows`.
enum MarchenkoPastur {
    /// The `p`-quantile of the law.
    static func quantile(_ p: Double, ratio gamma: Double) -> Double {
        if gamma > 1 {
            // The nonzero eigenvalues are those of the transposed problem, scaled by γ.
            let zero = 1 - 1 / gamma
            return p <= zero ? 0 : gamma * quantile((p - zero) / (1 - zero), ratio: 1 / gamma)
        }
        let (a, b) = (pow(1 - gamma.squareRoot(), 2), pow(1 + gamma.squareRoot(), 2))
        // x = a + (b − a)(1 − cos θ)/2 takes the square roots at both edges out of the density:
        // f(x) dx = ((b − a)/2)² sin²θ / (2πγx) dθ, smooth on [0, π].
        let steps = 2000, h = Double.pi / Double(steps)
        let x = { (theta: Double) in a + (b - a) * (1 - cos(theta)) / 2 }
        let weight = { (theta: Double) -> Double in
            let s = (b - a) / 2 * sin(theta)
            return theta == 0 ? (a > 0 ? 0 : b / (2 * Double.pi * gamma)) : s * s / (2 * Double.pi * gamma * x(theta))
        }
        var cdf = [Double](repeating: 0, count: steps + 1)
        for i in 1...steps { cdf[i] = cdf[i - 1] + (weight(Double(i - 1) * h) + weight(Double(i) * h)) * h / 2 }
        let target = p * cdf[steps]
        guard let i = cdf.firstIndex(where: { $0 >= target }), i > 0 else { return a }
        let t = (target - cdf[i - 1]) / max(cdf[i] - cdf[i - 1], .leastNormalMagnitude)
        return x((Double(i - 1) + t) * h)
    }
}

extension GrappaSelection {
    /// The λ_rel of least expected error for a kernel of `geometry` fitted on `k` whose noise
    /// variance per sample is `noise` (``GrappaRegularizationRisk``), with the mean diagonal of
    /// its `AᴴA` that λ_rel is relative to; and the noise variance estimated from `k` itself.
    /// For benchmarks that compare where the choice is made (own or virtual coils).
    public static func leastRiskRegularization(_ k: KSpace, _ acquisition: Acquisition, geometry: GrappaKernelGeometry,
                                               noise: Double) throws -> (relative: Double, meanDiagonal: Double) {
        let risk = try GrappaRegularizationRisk(k, acquisition, geometry: geometry, noise: noise)
        return (risk.best(), risk.spectrum.meanDiagonal)
    }

    /// The noise variance of one sample of one coil of `k`, estimated from its calibration
    /// (with the normal equations of `geometry` if given, else of the support the rule picks).
    public static func estimatedNoiseVariance(_ k: KSpace, _ acquisition: Acquisition,
                                              geometry: GrappaKernelGeometry? = nil) throws -> Double {
        if let geometry {
            try geometry.requireCalibratable(acsLines: acquisition.autoCalibrationLines.count, acceleration: acquisition.acceleration, nx: k.nx)
            return try GrappaRegularizationRisk.noiseVariance(k, acquisition, geometry: geometry)
        }
        return try GrappaRegularizationRisk.noiseVariance(k, acquisition)
    }
}
