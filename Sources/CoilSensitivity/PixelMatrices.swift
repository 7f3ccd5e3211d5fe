import Compute
import Foundation
import MRICore
import Numerics

/// ESPIRiT's Hermitian coil × coil matrix G(r) at every pixel, from the Fourier coefficients
/// of its entries, and its top eigenpair.
///
/// Each entry is a trigonometric polynomial of degree < k in each direction, evaluated
/// separably: first along the readout for every coefficient row (pairs · (2k−1) · nx values),
/// then, pixel row by pixel row, along ky — no image-sized array per coil pair is formed.
struct PixelMatrices {
    let coils: Int, ny: Int, nx: Int, span: Int
    /// Σ_Δx Q_p[Δy, Δx]·e^{i2πΔx(x − nx/2)/nx}: pair p, then Δy, then x.
    let alongReadout: [Complex<Float>]
    /// e^{i2πΔy(y − ny/2)/ny}: y, then Δy.
    let alongLines: [Complex<Float>]

    /// Most power iterations per pixel, and the relative residual ‖Gv − λv‖/λ that ends them.
    static let maxIterations = 100
    static let tolerance: Float = 1e-4

    /// `q`: pair p (c ≤ c′, row-major over the upper triangle), then Δy, Δx in −(k−1)…k−1.
    init(coefficients q: [Complex<Float>], coils: Int, ny: Int, nx: Int, kernelSize k: Int) {
        let span = 2 * k - 1, pairs = coils * (coils + 1) / 2
        let phase = { (delta: Int, position: Int, n: Int) -> Complex<Float> in
            let angle = 2 * Double.pi * Double(delta) * Double(position - n / 2) / Double(n)
            return Complex(Float(cos(angle)), Float(sin(angle)))
        }
        let readoutPhases = (0..<nx).flatMap { x in (0..<span).map { phase($0 - (k - 1), x, nx) } }
        var alongReadout = [Complex<Float>](repeating: .zero, count: pairs * span * nx)
        for p in 0..<pairs {
            for dy in 0..<span {
                let row = (p * span + dy) * span, out = (p * span + dy) * nx
                for x in 0..<nx {
                    var s = Complex<Float>.zero
                    for dx in 0..<span { s = s + q[row + dx] * readoutPhases[x * span + dx] }
                    alongReadout[out + x] = s
                }
            }
        }
        (self.coils, self.ny, self.nx, self.span) = (coils, ny, nx, span)
        self.alongReadout = alongReadout
        self.alongLines = (0..<ny).flatMap { y in (0..<span).map { phase($0 - (k - 1), y, ny) } }
    }

    /// The unit eigenvector of the largest eigenvalue at every pixel, by power iteration
    /// started from the previous pixel's vector along each row.
    func topEigenvectors() -> SensitivityMaps {
        let n = ny * nx, c = coils, pairs = c * (c + 1) / 2
        var maps = [Complex<Float>](repeating: .zero, count: c * n)
        var eigenvalues = [Float](repeating: 0, count: n)
        maps.withUnsafeMutableBufferPointer { m in
            eigenvalues.withUnsafeMutableBufferPointer { ev in
                let (out, values) = (UnsafeSendable(m.baseAddress!), UnsafeSendable(ev.baseAddress!))
                Parallel.forEach(ny) { y in
                    var row = [Complex<Float>](repeating: .zero, count: pairs * nx)
                    // The row's entries: Σ_Δy (along the readout)·e^{i2πΔy(y − ny/2)/ny}.
                    for p in 0..<pairs {
                        for dy in 0..<span {
                            let e = alongLines[y * span + dy], base = (p * span + dy) * nx
                            for x in 0..<nx { row[p * nx + x] = row[p * nx + x] + alongReadout[base + x] * e }
                        }
                    }
                    var h = [Complex<Float>](repeating: .zero, count: c * c)
                    var v = [Complex<Float>](repeating: .zero, count: c), w = v
                    for x in 0..<nx {
                        var p = 0
                        for i in 0..<c {
                            for j in i..<c {
                                let g = row[p * nx + x]
                                h[i * c + j] = g
                                h[j * c + i] = g.conjugate
                                p += 1
                            }
                        }
                        if x == 0 || v.allSatisfy({ $0 == .zero }) {
                            let start = (0..<c).max { h[$0 * c + $0].real < h[$1 * c + $1].real } ?? 0
                            for i in 0..<c { v[i] = i == start ? .one : .zero }
                        }
                        let pixel = y * nx + x
                        values.value[pixel] = Self.powerIteration(h, &v, &w, coils: c)
                        for i in 0..<c { out.value[i * n + pixel] = v[i] }
                    }
                }
            }
        }
        return SensitivityMaps(coils: c, ny: ny, nx: nx, data: maps, eigenvalues: eigenvalues)
    }

    /// Power iteration on the Hermitian positive semi-definite `h` from the unit vector `v`;
    /// returns the eigenvalue (Rayleigh quotient) and leaves the eigenvector in `v`.
    static func powerIteration(_ h: [Complex<Float>], _ v: inout [Complex<Float>], _ w: inout [Complex<Float>], coils c: Int) -> Float {
        var lambda: Float = 0
        for _ in 0..<maxIterations {
            var norm: Float = 0, quotient: Float = 0
            for i in 0..<c {
                var s = Complex<Float>.zero
                for j in 0..<c { s = s + h[i * c + j] * v[j] }
                w[i] = s
                norm += s.lengthSquared
                quotient += (v[i].conjugate * s).real
            }
            lambda = quotient
            guard norm > 0 else { return 0 }
            // ‖Gv − λv‖² = ‖Gv‖² − λ² for a unit v.
            let residual = max(0, norm - quotient * quotient)
            let scale = 1 / norm.squareRoot()
            for i in 0..<c { v[i] = w[i].multiplied(by: scale) }
            if residual <= tolerance * tolerance * quotient * quotient { break }
        }
        return lambda
    }
}
