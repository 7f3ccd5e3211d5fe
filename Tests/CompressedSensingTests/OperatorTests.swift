import CoilSensitivity
@testable import CompressedSensing
import Compute
import MRICore
import Numerics
import Simulation
import Testing
import TestSupport

func randomImage(_ n: Int, seed: UInt64) -> [Complex<Float>] {
    var rng = SeededGenerator(seed: seed)
    return (0..<n).map { _ in Complex(Float(rng.normal()), Float(rng.normal())) }
}

func inner(_ a: [Complex<Float>], _ b: [Complex<Float>]) -> Complex<Double> {
    zip(a, b).reduce(Complex<Double>.zero) { s, p in
        s + Complex(Double(p.0.real), Double(-p.0.imaginary)) * Complex(Double(p.1.real), Double(p.1.imaginary))
    }
}

/// The wavelet transform and the SENSE encoding against what they must be.
@Suite struct OperatorTests {
    /// Orthonormal: the inverse undoes the forward transform and norms are kept, on sizes
    /// with several levels, one level and none.
    @Test(arguments: [(288, 288), (144, 96), (40, 64), (30, 50)])
    func waveletIsOrthonormal(ny: Int, nx: Int) {
        let w = Wavelet2D(ny: ny, nx: nx)
        let x = randomImage(ny * nx, seed: 3)
        var c = x
        w.forward(&c)
        let (nx2, nc2) = (inner(x, x).real, inner(c, c).real)
        #expect(abs(nc2 - nx2) <= 1e-5 * nx2)
        var back = c
        w.inverse(&back)
        #expect(maxAbsDifference(back, x) < 1e-4)
        if w.levels > 0 { #expect(maxAbsDifference(c, x) > 0.1) }
    }

    /// Two vanishing moments: the detail coefficients of a linear ramp are zero away from the
    /// periodic wrap, and its smooth band is the ramp's value in closed form.
    @Test func detailsOfALinearRampVanish() {
        let w = Wavelet2D(ny: 64, nx: 64)
        var row = [Complex<Float>](repeating: .zero, count: 64)
        let ramp = (0..<64).map { Complex<Float>(Float($0), 0) }
        ramp.withUnsafeBufferPointer { r in row.withUnsafeMutableBufferPointer { Wavelet2D.analyse(r.baseAddress!, 64, $0.baseAddress!) } }
        for i in 0..<31 { #expect(row[32 + i].length < 1e-4, "detail \(i) = \(row[32 + i])") }
        #expect(row[32 + 31].length > 1)  // the wrap from 63 back to 0
        // a[i] = Σ h[k]·(2i + k) = 2i·Σh + Σ k·h[k] = 2√2·i + (3 − √3)/√2 for db2.
        for i in 0..<31 {
            let expected = 2 * 2.0.squareRoot() * Double(i) + (3 - 3.0.squareRoot()) / 2.0.squareRoot()
            #expect(abs(Double(row[i].real) - expected) < 1e-4)
        }
        #expect(w.levels == 2)
    }

    static func smallScan() throws -> (k: KSpace, maps: SensitivityMaps, measured: [Bool]) {
        var sim = PhantomSimulator(ny: 64, nx: 48, coils: 6, noiseLevel: 0.01, seed: 11)
        sim.objectScale = 0.8
        let k = try sim.simulate().noisy
        let maps = try Espirit().maps(of: k, calibrationLines: 24..<40)
        let measured = (0..<64).map { ($0 - 32) % 3 == 0 || (24..<40).contains($0) }
        return (k, maps, measured)
    }

    /// ⟨A x, y⟩ = ⟨x, Aᴴ y⟩ for random x and y, and AᴴA is Aᴴ after A.
    @Test func adjointAndNormalOperatorAreConsistent() throws {
        let s = try Self.smallScan()
        let a = SenseOperator(maps: s.maps, measured: s.measured)
        let x = randomImage(64 * 48, seed: 5)
        var y = KSpace(zerosCoils: 6, ny: 64, nx: 48)
        y.data = randomImage(6 * 64 * 48, seed: 6)
        let lhs = inner(a.forward(x).data, y.data), rhs = inner(x, a.adjoint(y))
        #expect((lhs - rhs).length <= 1e-4 * lhs.length, "⟨Ax,y⟩ = \(lhs), ⟨x,Aᴴy⟩ = \(rhs)")
        let normal = a.normal(x), composed = a.adjoint(a.forward(x))
        let scale = composed.map(\.length).max()!
        #expect(maxAbsDifference(normal, composed) <= 1e-4 * scale)
    }
}
