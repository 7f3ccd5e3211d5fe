import Compute
import Foundation
import MRICore
import Numerics

/// The ACS fit of one kernel support in the eigenbasis of its normal equations, from which
/// the fit's residual, degrees of freedom and weight norms follow for any λ in closed form.
///
/// With `AᴴA = V S Vᴴ` and `h̃ = Vᴴ AᴴB`, the ridge solution is `W(λ) = V (S + λ)⁻¹ h̃`, so
/// `‖B − A W‖² = ‖B‖² − Σ |h̃ᵢ|² (sᵢ + 2λ)/(sᵢ + λ)²`, `df = Σ sᵢ/(sᵢ + λ)` and
/// `‖W‖² = Σ |h̃ᵢ|²/(sᵢ + λ)²`: one eigendecomposition serves every λ.
public struct GrappaFitSpectrum: Sendable {
    /// The support.
    public let geometry: GrappaKernelGeometry
    /// Calibration positions (rows of `A`), unknowns per target, targets.
    public let rows: Int, unknowns: Int, targets: Int
    /// `‖B‖²`, the calibration targets' energy.
    public let targetEnergy: Double
    /// `trace(AᴴA) / unknowns`: the scale λ_rel is relative to.
    public let meanDiagonal: Double
    /// Eigenvalues of `AᴴA`, ascending.
    public let eigenvalues: [Double]
    /// `Σ_q |h̃ᵢq|²` per eigenvalue.
    let projectedEnergy: [Double]

    /// Decomposes the normal equations of `g` on the ACS of `k` (with `virtualConjugate`, the
    /// second half of its coils the first half's reflections: ``CalibrationNormalEquations``).
    public init(_ k: KSpace, _ acquisition: Acquisition, geometry g: GrappaKernelGeometry, virtualConjugate: Bool = false) throws {
        let system = CalibrationNormalEquations(k: k, acs: acquisition.autoCalibrationLines, acceleration: acquisition.acceleration, geometry: g,
                                                virtualConjugate: virtualConjugate)
        try self.init(k, acquisition, geometry: g, calibration: system)
    }

    /// Decomposes `system`, the normal equations of `g` on the ACS of `k`.
    init(_ k: KSpace, _ acquisition: Acquisition, geometry g: GrappaKernelGeometry, calibration system: CalibrationNormalEquations) throws {
        let r = acquisition.acceleration
        let n = system.unknowns, t = system.targets
        let (_, values, projected) = try system.eigenbasis()
        var energy = [Double](repeating: 0, count: n)
        for q in 0..<t { for i in 0..<n { energy[i] += Double(projected[q * n + i].lengthSquared) } }
        var b = 0.0
        let hx = g.halfReadout
        for c in 0..<(t / (r - 1)) {  // the target coils (the physical ones with virtual conjugate coils)
            for base in system.firstBase..<(system.firstBase + system.bases) {
                for m in 1..<r { for x in hx..<(k.nx - hx) { b += Double(k[c, base + m, x].lengthSquared) } }
            }
            for (base, x) in system.excluded { for m in 1..<r { b -= Double(k[c, base + m, x].lengthSquared) } }
        }
        (geometry, rows, unknowns, targets) = (g, system.rows(nx: k.nx, halfReadout: hx), n, t)
        (targetEnergy, meanDiagonal, eigenvalues, projectedEnergy) = (b, system.meanDiagonal, values.map(Double.init), energy)
    }

    /// Residual `‖B − A W(λ)‖²`, degrees of freedom and `‖W(λ)‖²` at λ = `relative` · ``meanDiagonal``.
    public func fit(relative: Double) -> (residual: Double, freedom: Double, weightNorm: Double) {
        let lambda = relative * meanDiagonal
        var explained = 0.0, freedom = 0.0, norm = 0.0
        for (s, e) in zip(eigenvalues, projectedEnergy) {
            let s = max(s, 0), d = s + lambda
            explained += e * (s + 2 * lambda) / (d * d)
            freedom += s / d
            norm += e / (d * d)
        }
        return (targetEnergy - explained, freedom, norm)
    }
}
