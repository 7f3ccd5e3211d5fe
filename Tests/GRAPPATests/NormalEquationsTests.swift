@testable import GRAPPA
import MRICore
import Numerics
import Testing
import TestSupport

/// The Fourier-domain normal equations must equal AᴴA and AᴴB of the explicit
/// calibration matrix (computed here with plain Double loops), edge corrections included.
@Suite struct NormalEquationsTests {
    @Test(arguments: [(2, 5, 4, 40), (3, 3, 3, 33), (4, 7, 2, 17), (5, 1, 5, 12), (3, 5, 4, 5)])
    func fourierNormalEquationsEqualExplicitProducts(r: Int, readout: Int, lines: Int, nx: Int) throws {
        let geometry = GrappaKernelGeometry(readout: readout, lines: lines)
        let ny = 70
        let k = randomKSpace(coils: 3, ny: ny, nx: nx, seed: UInt64(r * 31 + readout))
        let acsCount = geometry.minimumACSLines(acceleration: r) + 4
        let acs = (ny / 2 - acsCount / 2)..<(ny / 2 - acsCount / 2 + acsCount)
        let fast = CalibrationNormalEquations(k: k, acs: acs, acceleration: r, geometry: geometry)
        let explicit = CalibrationSystem(k: k, acs: acs, acceleration: r, geometry: geometry)
        let n = explicit.sources, rows = explicit.rows
        #expect(fast.unknowns == n && fast.targets == explicit.targets)
        func product(_ x: [Complex<Float>], _ i: Int, _ y: [Complex<Float>], _ j: Int) -> Complex<Double> {
            var acc = Complex<Double>.zero
            for row in 0..<rows {
                let a = x[i * rows + row], b = y[j * rows + row]
                acc += Complex(Double(a.real), -Double(a.imaginary)) * Complex(Double(b.real), Double(b.imaginary))
            }
            return acc
        }
        var worst = 0.0, scale = 0.0
        for i in 0..<n {
            for j in 0..<n {
                let want = product(explicit.a, i, explicit.a, j)
                let got = fast.gram[i + j * n]
                worst = max(worst, (Complex(Double(got.real), Double(got.imaginary)) - want).length)
                scale = max(scale, want.length)
            }
            for t in 0..<explicit.targets {
                let want = product(explicit.a, i, explicit.b, t)
                let got = fast.rhs[i + t * n]
                worst = max(worst, (Complex(Double(got.real), Double(got.imaginary)) - want).length)
            }
        }
        #expect(worst / scale < 1e-5, "R=\(r) \(geometry) nx=\(nx): worst \(worst / scale)")
    }
}
