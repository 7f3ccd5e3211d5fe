import Compute
import Foundation
@_spi(Lab) import GRAPPA
import MRICore
import Numerics

/// The lattice-line proxy of one support fitted on the ACS and tested on the measured lattice
/// lines outside it, over a range of λ: its ACS fit (residual, degrees of freedom, weight
/// norm) beside its error where the kernel will be used. Their ratio shows how much worse a
/// kernel fitted on the ACS does far from it than the ACS fit says (the transport of the
/// expected error's model term, measured; it did not predict the λ the kernel needs:
/// BENCHMARKS.md).
struct ProxyFit {
    /// Calibration positions, targets (coils), validation positions.
    let rows: Int, targets: Int, validationRows: Int
    /// `‖B‖²` of the ACS targets and of the validation targets (both as measured).
    let targetEnergy: Double, validationEnergy: Double
    /// Per λ_rel: ACS residual `‖B − AW‖²`, degrees of freedom, `‖W‖²`, and the validation
    /// residual `‖B_v − A_v W‖²`.
    let residual: [Double], freedom: [Double], weightNorm: [Double], validation: [Double]

    init(_ k: KSpace, _ acquisition: Acquisition, geometry g: GrappaKernelGeometry, lambdas: [Double]) throws {
        let r = acquisition.acceleration, acs = acquisition.autoCalibrationLines
        let offsets = GrappaSelection.proxySourceOffsets(g, acceleration: r)
        let system = CalibrationNormalEquations(k: k, acs: acs, sourceOffsets: offsets, targetOffsets: [r], readout: g.readout)
        let n = system.unknowns, t = system.targets, hx = g.halfReadout
        var b = 0.0
        for c in 0..<k.coils { for base in system.firstBase..<(system.firstBase + system.bases) {
            for x in hx..<(k.nx - hx) { b += Double(k[c, base + r, x].lengthSquared) }
        } }
        let bases = (0..<k.ny).filter { y in
            acquisition.lattice.contains(y) && y + r < k.ny && !acs.contains(y + r) && y + offsets.min()! >= 0 && y + offsets.max()! < k.ny
        }
        let xs = Array(hx..<(k.nx - hx)), vrows = bases.count * xs.count
        var sources = [Complex<Float>](repeating: .zero, count: vrows * n)
        var vtargets = [Complex<Float>](repeating: .zero, count: vrows * t)
        for (bi, y) in bases.enumerated() { for (xi, x) in xs.enumerated() {
            let row = bi * xs.count + xi
            for c in 0..<k.coils {
                vtargets[c * vrows + row] = k[c, y + r, x]
                for (j, o) in offsets.enumerated() { for d in 0..<g.readout {
                    sources[((c * offsets.count + j) * g.readout + d) * vrows + row] = k[c, y + o, x + d - hx]
                } }
            }
        } }
        let mean = system.meanDiagonal
        var residual: [Double] = [], freedom: [Double] = [], norm: [Double] = [], validation: [Double] = []
        // The eigenbasis gives the ACS quantities for every λ; the weights themselves too.
        let (v, values, projected) = try system.eigenbasis()
        // Validation sources in the eigenbasis: A_v V.
        var av = [Complex<Float>](repeating: .zero, count: vrows * n)
        ComplexLinearAlgebra.gemm(.none, .none, m: vrows, n: n, k: n, alpha: .one, a: sources, lda: vrows, b: v, ldb: n,
                                  beta: .zero, c: &av, ldc: vrows)
        for relative in lambdas {
            let lambda = relative * mean
            var explained = 0.0, df = 0.0, w2 = 0.0
            var coefficients = projected
            for i in 0..<n {
                let s = max(Double(values[i]), 0), d = s + lambda
                df += s / d
                for q in 0..<t {
                    let e = Double(projected[q * n + i].lengthSquared)
                    explained += e * (s + 2 * lambda) / (d * d)
                    w2 += e / (d * d)
                    let scale = Float(1 / d)
                    coefficients[q * n + i] = Complex(projected[q * n + i].real * scale, projected[q * n + i].imaginary * scale)
                }
            }
            var res = vtargets
            ComplexLinearAlgebra.gemm(.none, .none, m: vrows, n: t, k: n, alpha: Complex(-1, 0), a: av, lda: vrows, b: coefficients, ldb: n,
                                      beta: .one, c: &res, ldc: vrows)
            residual.append(b - explained)
            freedom.append(df)
            norm.append(w2)
            validation.append(res.reduce(0.0) { $0 + Double($1.lengthSquared) })
        }
        (rows, targets, validationRows) = (system.bases * (k.nx - 2 * hx), t, vrows)
        (targetEnergy, validationEnergy) = (b, vtargets.reduce(0.0) { $0 + Double($1.lengthSquared) })
        (self.residual, self.freedom, self.weightNorm, self.validation) = (residual, freedom, norm, validation)
    }
}
