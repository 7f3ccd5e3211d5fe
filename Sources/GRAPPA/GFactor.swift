import Foundation
import MRICore
import Numerics

/// GRAPPA g-factor maps from the image-domain form of the kernel (Breuer et al., MRM 2009).
///
/// Filling the missing lines is a convolution of the zero-filled k-space with one kernel
/// per (target coil, source coil) pair — the fitted weights at offsets
/// `(m − (firstLine + j)·R, halfReadout − d)` plus the identity at (0, 0) — so in the image
/// domain it is a pixel-wise unmixing `I(r) = W(r)·a(r)` of the aliased coil images `a`.
/// Combining coils with weights `p(r)` (here `p_c = I_c / RSS`, the linearisation of the RSS
/// image, from the reconstruction itself), the noise standard deviation relative to a fully
/// sampled scan is `g(r)·√R` with
///
///     g(r) = √(pᴴ W Ψ Wᴴ p) / (R · √(pᴴ Ψ p)),
///
/// `Ψ` being the coil noise covariance (identity if not given: white, equal, uncorrelated
/// coil noise). As in Breuer's derivation, every line is treated as estimated (the ACS
/// lines put back as measured are not accounted for) and the convolution as circular.
///
/// With virtual conjugate coils the unmixing also reads the conjugates of the aliased images
/// (a reflected conjugate k-space is the conjugate image), `I = W_p a + W_v ā`: their noise is
/// the physical noise conjugated, of covariance `Ψ̄`, and uncorrelated with it in the complex
/// sense (`E[n nᵀ] = 0` for circular noise), so the numerator's covariance is
/// `diag(Ψ, Ψ̄)` over the 2C sources.
public enum GFactor {
    /// The g-factor map `[ny, nx]` (row-major) of `kernel` for k-space of `reconstructed`'s
    /// size, with combination weights from `reconstructed` (the kernel's output).
    public static func map(kernel: GrappaKernel, reconstructed: KSpace,
                           noiseCovariance psi: [Complex<Float>]? = nil) throws -> [Float] {
        let (c, ny, nx, r) = (kernel.coils, reconstructed.ny, reconstructed.nx, kernel.acceleration)
        guard reconstructed.coils == c else {
            throw MRIError(.invalidArgument, "g-factor: kernel for \(c) coils, k-space with \(reconstructed.coils)")
        }
        let g = kernel.geometry
        guard ny >= g.lines * r + r, nx >= g.readout else {
            throw MRIError(.invalidArgument, "g-factor: \(ny) × \(nx) k-space is too small for the kernel \(g) at R=\(r)")
        }
        if let psi, psi.count != c * c { throw MRIError(.invalidArgument, "noise covariance must be \(c) × \(c)") }
        let n = ny * nx
        let images = CenteredFFT.image(from: reconstructed)
        // p = I / RSS per pixel (zero where the image is exactly zero).
        var p = images.data
        for pixel in 0..<n {
            var s: Float = 0
            for coil in 0..<c { s += images.data[coil * n + pixel].lengthSquared }
            let inv = s > 0 ? 1 / s.squareRoot() : 0
            for coil in 0..<c { p[coil * n + pixel] = images.data[coil * n + pixel] * Complex(inv, 0) }
        }
        let (cy, cx) = (ny / 2, nx / 2)
        let root = Complex<Float>(Float(n).squareRoot(), 0)
        // q[sc](r) = Σ_tc conj(p_tc(r)) · W_tc,sc(r), one source coil at a time (C images each).
        let sources = kernel.sourceCoils
        var q = [Complex<Float>](repeating: .zero, count: sources * n)
        for sc in 0..<sources {
            var k = KSpace(zerosCoils: c, ny: ny, nx: nx)
            for tc in 0..<c {
                if tc == sc { k.data[(tc * ny + cy) * nx + cx] = .one }  // the measured sample itself
                for m in 1..<r {
                    for j in 0..<g.lines {
                        let dy = m - (g.firstLine + j) * r
                        let y = ((cy + dy) % ny + ny) % ny
                        for d in 0..<g.readout {
                            let x = ((cx + g.halfReadout - d) % nx + nx) % nx
                            k.data[(tc * ny + y) * nx + x] += kernel.weight(sourceCoil: sc, line: j, readout: d, targetCoil: tc, distance: m)
                        }
                    }
                }
            }
            let w = CenteredFFT.image(from: k).data
            for pixel in 0..<n {
                var s = Complex<Float>.zero
                for tc in 0..<c { s += p[tc * n + pixel].conjugate * w[tc * n + pixel] }
                q[sc * n + pixel] = s * root
            }
        }
        return (0..<n).map { pixel in
            // vᴴ-weighted quadratic form over `count` coils (physical, then their conjugates).
            func quadratic(_ count: Int, _ v: (Int) -> Complex<Float>) -> Float {
                guard let psi else { return (0..<count).reduce(Float(0)) { $0 + v($1).lengthSquared } }
                var s = Complex<Float>.zero
                for block in 0..<(count / c) {
                    for a in 0..<c {
                        for b in 0..<c {
                            let covariance = block == 0 ? psi[a * c + b] : psi[a * c + b].conjugate
                            s += v(block * c + a) * covariance * v(block * c + b).conjugate
                        }
                    }
                }
                return s.real
            }
            let numerator = quadratic(sources) { q[$0 * n + pixel] }
            let denominator = quadratic(c) { p[$0 * n + pixel].conjugate }
            return denominator > 0 ? (numerator / denominator).squareRoot() / Float(r) : 0
        }
    }
}
