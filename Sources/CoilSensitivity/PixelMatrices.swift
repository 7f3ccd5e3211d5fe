import Compute
import MRICore
import Numerics

/// ESPIRiT's Hermitian coil × coil matrix G(r) at every pixel, from the Fourier coefficients
/// of its entries, and its top eigenpair.
struct PixelMatrices {
    let coils: Int, ny: Int, nx: Int
    /// Upper-triangle entries: pair p (c ≤ c′, row-major), then pixel `y * nx + x`.
    let entries: [Complex<Float>]

    /// Most power iterations per pixel, and the relative residual ‖Gv − λv‖/λ that ends them.
    static let maxIterations = 100
    static let tolerance: Float = 1e-4

    /// Evaluates Σ_Δ Q[Δ] e^{i2πΔ·r} at every pixel r (centred coordinates) by one centred
    /// inverse FFT per pair: coefficient Δ sits at (ny/2 + Δy, nx/2 + Δx).
    init(coefficients q: [Complex<Float>], coils: Int, ny: Int, nx: Int, kernelSize k: Int) {
        let span = 2 * k - 1, pairs = coils * (coils + 1) / 2
        var grid = KSpace(zerosCoils: pairs, ny: ny, nx: nx)
        for p in 0..<pairs {
            for dy in 0..<span {
                let y = ((ny / 2 + dy - (k - 1)) % ny + ny) % ny
                for dx in 0..<span {
                    let x = ((nx / 2 + dx - (k - 1)) % nx + nx) % nx
                    grid[p, y, x] = grid[p, y, x] + q[(p * span + dy) * span + dx]
                }
            }
        }
        // The orthonormal transform divides by √(ny·nx); the sum has no such factor.
        let scale = Float(ny * nx).squareRoot()
        var values = CenteredFFT.image(from: grid).data
        for i in values.indices { values[i] = values[i].multiplied(by: scale) }
        (self.coils, self.ny, self.nx, self.entries) = (coils, ny, nx, values)
    }

    /// The unit eigenvector of the largest eigenvalue at every pixel, by power iteration
    /// started from the previous pixel's vector along each row.
    func topEigenvectors() -> SensitivityMaps {
        let n = ny * nx, c = coils
        var maps = [Complex<Float>](repeating: .zero, count: c * n)
        var eigenvalues = [Float](repeating: 0, count: n)
        entries.withUnsafeBufferPointer { e in
            maps.withUnsafeMutableBufferPointer { m in
                eigenvalues.withUnsafeMutableBufferPointer { ev in
                    let (entries, out, values) = (UnsafeSendable(e.baseAddress!), UnsafeSendable(m.baseAddress!), UnsafeSendable(ev.baseAddress!))
                    Parallel.forEach(ny) { y in
                        var h = [Complex<Float>](repeating: .zero, count: c * c)
                        var v = [Complex<Float>](repeating: .zero, count: c), w = v
                        for x in 0..<nx {
                            let pixel = y * nx + x
                            var p = 0
                            for i in 0..<c {
                                for j in i..<c {
                                    let g = entries.value[p * n + pixel]
                                    h[i * c + j] = g
                                    h[j * c + i] = g.conjugate
                                    p += 1
                                }
                            }
                            if x == 0 || v.allSatisfy({ $0 == .zero }) {
                                let start = (0..<c).max { h[$0 * c + $0].real < h[$1 * c + $1].real } ?? 0
                                for i in 0..<c { v[i] = i == start ? .one : .zero }
                            }
                            values.value[pixel] = Self.powerIteration(h, &v, &w, coils: c)
                            for i in 0..<c { out.value[i * n + pixel] = v[i] }
                        }
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
