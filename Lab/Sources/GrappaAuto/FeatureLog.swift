import Foundation
@_spi(Lab) import GRAPPA
import MRICore
import Numerics

/// One JSON line per case: the oracle grid (NRMSE of every support × λ_rel against the
/// noise-free image) beside what the scan itself can tell about each (support, λ_rel): the
/// ACS fit's residual, degrees of freedom and weight norms, its lattice-line proxy's ACS fit
/// and errors on the lattice lines outside the ACS (``ProxyFit``), the noise level (true, and
/// as estimated from the scan), and the measured lines' energies. Selection rules are then
/// compared offline on the same cases.
final class FeatureLog {
    let handle: FileHandle

    init(path: String) {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            print("cannot write \(path)")
            exit(73)
        }
        self.handle = handle
    }

    func close() throws { try handle.close() }

    func record(case fields: [String: Any], noisy: KSpace, clean: KSpace, acquisition: Acquisition, lambdas: [Double]) throws {
        let measured = noisy.masked(by: acquisition.mask)
        let coils = noisy.coils, ny = noisy.ny, nx = noisy.nx
        // True coil noise covariance of one k-space sample.
        var psi = [Complex<Double>](repeating: .zero, count: coils * coils)
        for y in 0..<ny { for x in 0..<nx {
            for a in 0..<coils {
                let na = noisy[a, y, x] - clean[a, y, x]
                for b in 0..<coils {
                    let nb = noisy[b, y, x] - clean[b, y, x]
                    psi[b * coils + a] = psi[b * coils + a]
                        + Complex<Double>(Double(na.real), Double(na.imaginary)) * Complex<Double>(Double(nb.real), -Double(nb.imaginary))
                }
            }
        } }
        psi = psi.map { Complex<Double>($0.real / Double(ny * nx), $0.imaginary / Double(ny * nx)) }
        // Noise from the k-space corners of measured lines (biased up by any signal there).
        var corner = 0.0, cornerCount = 0
        for y in 0..<ny where acquisition.mask.acquired[y] && abs(y - ny / 2) >= 3 * ny / 8 {
            for x in 0..<nx where abs(x - nx / 2) >= 3 * nx / 8 {
                for c in 0..<coils { corner += Double(measured[c, y, x].lengthSquared) }
                cornerCount += coils
            }
        }
        let rowEnergy = (0..<ny).map { y in
            acquisition.mask.acquired[y] ? (0..<coils).reduce(0.0) { s, c in (0..<nx).reduce(s) { $0 + Double(measured[c, y, $1].lengthSquared) } } : -1
        }
        var supports: [String: Any] = [:], proxies: [String: Any] = [:]
        let r = acquisition.acceleration
        for g in GrappaSelection.candidates where acquisition.autoCalibrationLines.count >= g.minimumACSLines(acceleration: r) {
            let spectrum = try GrappaFitSpectrum(measured, acquisition, geometry: g)
            let fits = lambdas.map { spectrum.fit(relative: $0) }
            let e = spectrum.eigenvalues
            supports["\(g.lines)x\(g.readout)"] = [
                "rows": spectrum.rows, "unknowns": spectrum.unknowns, "targets": spectrum.targets,
                "target_energy": spectrum.targetEnergy, "mean_diagonal": spectrum.meanDiagonal,
                "eig_quantiles": [0.02, 0.05, 0.1, 0.25, 0.5].map { e[Int(Double(e.count) * $0)] },
                "residual": fits.map(\.residual), "freedom": fits.map(\.freedom), "weight_norm": fits.map(\.weightNorm),
            ]
            if acquisition.autoCalibrationLines.count >= GrappaSelection.proxySpan(g, acceleration: r) {
                let p = try ProxyFit(measured, acquisition, geometry: g, lambdas: lambdas)
                proxies["\(g.lines)x\(g.readout)"] = [
                    "rows": p.rows, "targets": p.targets, "validation_rows": p.validationRows, "target_energy": p.targetEnergy,
                    "validation_energy": p.validationEnergy, "residual": p.residual, "freedom": p.freedom,
                    "weight_norm": p.weightNorm, "validation": p.validation,
                ]
            }
        }
        var out = fields
        out["lambdas"] = lambdas
        out["nx"] = nx
        out["ny"] = ny
        out["sigma2_true"] = (0..<coils).reduce(0.0) { $0 + psi[$1 * coils + $1].real } / Double(coils)
        out["sigma2_corner"] = corner / Double(max(cornerCount, 1))
        out["row_energy"] = rowEnergy
        out["acs_lines"] = [acquisition.autoCalibrationLines.lowerBound, acquisition.autoCalibrationLines.upperBound]
        out["supports"] = supports
        out["proxies"] = proxies
        var data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        data.append(0x0A)
        handle.write(data)
    }
}
