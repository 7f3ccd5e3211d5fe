@_spi(Lab) @testable import GRAPPA
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
        let physical = randomKSpace(coils: 3, ny: ny, nx: nx, seed: UInt64(r * 31 + readout))
        let acsCount = geometry.minimumACSLines(acceleration: r) + 4
        let acs = (ny / 2 - acsCount / 2)..<(ny / 2 - acsCount / 2 + acsCount)
        // With virtual conjugate coils in some cases: targets on the physical coils only, the
        // positions where a reflected source is a target left out (subtracted from the Fourier
        // sums, zero rows in the explicit matrices).
        let conjugate = r == 3
        let k = conjugate ? physical.appendingConjugateReflection() : physical
        let fast = CalibrationNormalEquations(k: k, acs: acs, acceleration: r, geometry: geometry, virtualConjugate: conjugate)
        let explicit = CalibrationSystem(k: k, acs: acs, acceleration: r, geometry: geometry, roles: conjugate ? .virtualConjugate(3) : nil)
        #expect(explicit.targets == (conjugate ? 3 : 3) * (r - 1) && k.coils == (conjugate ? 6 : 3))
        #expect(fast.excluded.isEmpty != conjugate)
        let direct = CalibrationNormalEquations.meanDiagonal(k: physical, acs: acs, acceleration: r, geometry: geometry,
                                                            reflecting: conjugate ? Array(repeating: true, count: ny) : nil)
        #expect(abs(direct - fast.meanDiagonal) <= 1e-4 * fast.meanDiagonal)
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

/// Normal equations of a kernel with gaps between its source lines (the lattice-line proxies
/// that choose GRAPPA's support) against explicit Double sums over the positions.
@Suite struct GappedNormalEquationsTests {
    @Test(arguments: [([-4, 0, 8, 12], [4], 7), ([0, 6], [3], 5), ([-3, 0, 3, 6], [1, 2], 3)])
    func gappedOffsetsEqualExplicitSums(sources: [Int], targets: [Int], readout: Int) throws {
        let (ny, nx, coils) = (60, 23, 2)
        let k = randomKSpace(coils: coils, ny: ny, nx: nx, seed: UInt64(sources.count * 7 + readout))
        let acs = 14..<44
        let fast = CalibrationNormalEquations(k: k, acs: acs, sourceOffsets: sources, targetOffsets: targets, readout: readout)
        let hx = readout / 2, all = sources + targets
        let bases = (acs.lowerBound - all.min()!)...(acs.upperBound - 1 - all.max()!)
        #expect(fast.firstBase == bases.lowerBound && fast.bases == bases.count)
        let n = coils * sources.count * readout, t = coils * targets.count
        #expect(fast.unknowns == n && fast.targets == t)
        func source(_ y0: Int, _ x: Int, _ s: Int) -> Complex<Double> {
            let (c, j, d) = (s / (sources.count * readout), (s / readout) % sources.count, s % readout)
            let z = k[c, y0 + sources[j], x + d - hx]
            return Complex(Double(z.real), Double(z.imaginary))
        }
        func target(_ y0: Int, _ x: Int, _ q: Int) -> Complex<Double> {
            let z = k[q / targets.count, y0 + targets[q % targets.count], x]
            return Complex(Double(z.real), Double(z.imaginary))
        }
        var worst = 0.0, scale = 0.0
        for i in 0..<n {
            for j in 0..<(n + t) {
                var want = Complex<Double>.zero
                for y0 in bases { for x in hx..<(nx - hx) {
                    want += source(y0, x, i).conjugate * (j < n ? source(y0, x, j) : target(y0, x, j - n))
                } }
                let got = j < n ? fast.gram[i + j * n] : fast.rhs[i + (j - n) * n]
                worst = max(worst, (Complex(Double(got.real), Double(got.imaginary)) - want).length)
                scale = max(scale, want.length)
            }
        }
        #expect(worst / scale < 1e-5, "sources \(sources) targets \(targets): worst \(worst / scale)")
    }
}
