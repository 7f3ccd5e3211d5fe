import Compute
import MRICore
import Numerics
import Testing
import TestSupport

@Suite struct CoilCompressionTests {
    /// Six coils that are mixtures of three sources: three virtual coils hold all of the
    /// signal, so compress → expand gives the data back, and the basis is orthonormal.
    @Test func rankThreeDataSurvivesThreeVirtualCoils() throws {
        let sources = randomKSpace(coils: 3, ny: 16, nx: 12, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let mixing = (0..<18).map { _ in Complex(Float(rng.normal()), Float(rng.normal())) }
        var data = [Complex<Float>](repeating: .zero, count: 6 * 16 * 12)
        for c in 0..<6 { for s in 0..<3 { for i in 0..<(16 * 12) { data[c * 192 + i] += mixing[c * 3 + s] * sources.data[s * 192 + i] } } }
        let k = try KSpace(coils: 6, ny: 16, nx: 12, data: data)
        let cc = try CoilCompression(fitting: k, lines: 4..<12, virtualCoils: 3)
        #expect(abs(cc.energyKept - 1) < 1e-5)
        let back = cc.expand(cc.compress(k))
        let scale = k.data.reduce(Float(0)) { max($0, $1.length) }
        #expect(maxAbsDifference(back.data, k.data) < 1e-4 * scale)
        for a in 0..<3 {
            for b in 0..<3 {
                var dot = Complex<Float>.zero
                for i in 0..<6 { dot += cc.basis[a * 6 + i].conjugate * cc.basis[b * 6 + i] }
                #expect((dot - (a == b ? .one : .zero)).length < 1e-5, "⟨u\(a), u\(b)⟩ = \(dot)")
            }
        }
    }

    /// On generic data the first virtual coil is the coils' principal direction: no unit
    /// vector found by power iteration on the same covariance (computed here in Double)
    /// holds more energy, and the energy fractions match.
    @Test func leadingComponentMatchesPowerIteration() throws {
        let k = randomKSpace(coils: 5, ny: 10, nx: 8, seed: 9)
        var cov = [[Complex<Double>]](repeating: [Complex<Double>](repeating: .zero, count: 5), count: 5)
        for y in 2..<8 { for x in 0..<8 { for i in 0..<5 { for j in 0..<5 {
            let a = k[i, y, x], b = k[j, y, x]
            cov[i][j] += Complex(Double(a.real), Double(a.imaginary)) * Complex(Double(b.real), -Double(b.imaginary))
        } } } }
        var v = [Complex<Double>](repeating: Complex(1, 0.5), count: 5)
        for _ in 0..<500 {
            var w = [Complex<Double>](repeating: .zero, count: 5)
            for i in 0..<5 { for j in 0..<5 { w[i] += cov[i][j] * v[j] } }
            let norm = w.reduce(0) { $0 + $1.lengthSquared }.squareRoot()
            v = w.map { $0 / Complex(norm, 0) }
        }
        var top = 0.0, trace = 0.0
        for i in 0..<5 { trace += cov[i][i].real; for j in 0..<5 { top += (v[i].conjugate * cov[i][j] * v[j]).real } }
        let cc = try CoilCompression(fitting: k, lines: 2..<8, virtualCoils: 1)
        #expect(abs(cc.energyKept - top / trace) < 1e-4, "kept \(cc.energyKept), power iteration \(top / trace)")
        // The same direction up to a phase: |⟨u, v⟩| = 1.
        var dot = Complex<Double>.zero
        for i in 0..<5 { dot += Complex(Double(cc.basis[i].real), -Double(cc.basis[i].imaginary)) * v[i] }
        #expect(abs(dot.length - 1) < 1e-4)
        #expect(throws: MRIError.self) { try CoilCompression(fitting: k, lines: 2..<8, virtualCoils: 6) }
    }

    /// Compressing only some lines gives, on those lines, what compressing everything gives
    /// (`Uᴴ·k` sample by sample, computed here directly), and zero elsewhere.
    @Test func compressingMarkedLinesOnlyEqualsTheFullProductThere() throws {
        let k = randomKSpace(coils: 6, ny: 14, nx: 9, seed: 3)
        let cc = try CoilCompression(fitting: k, lines: 3..<11, virtualCoils: 2)
        let marked = (0..<14).map { $0 % 3 == 0 || (5..<9).contains($0) }
        let some = cc.compress(k, lines: marked)
        for v in 0..<2 {
            for y in 0..<14 {
                for x in 0..<9 {
                    var direct = Complex<Float>.zero
                    for c in 0..<6 { direct += cc.basis[v * 6 + c].conjugate * k[c, y, x] }
                    let expected = marked[y] ? direct : .zero
                    #expect((some[v, y, x] - expected).length <= 1e-5 * max(1, direct.length), "virtual coil \(v), line \(y), sample \(x)")
                }
            }
        }
    }
}
