import Compute
import Numerics

/// Noise prewhitening of the coils: from noise-only samples, the coil noise covariance
/// `Ψ = (1/S) Σ n nᴴ`, its Cholesky factor `Ψ = L Lᴴ`, and the transform `W = L⁻¹` that
/// makes the coils' noise independent and of equal variance.
///
/// `Ψ` is taken relative to its mean diagonal (`Ψ̃ = Ψ / (trace Ψ / coils)`), so that whitened
/// data keep the overall scale of the input: after ``whitened(_:)`` the noise covariance is
/// the mean coil noise variance times the identity.
public struct CoilWhitening: Sendable {
    /// Number of coils.
    public let coils: Int
    /// The measured noise covariance `Ψ`, row-major `coils × coils`.
    public let covariance: [Complex<Double>]
    /// The mean coil noise variance, `trace Ψ / coils`.
    public let meanVariance: Double
    /// Noise samples per coil the covariance was estimated from.
    public let samples: Int
    /// `W = (L / √meanVariance)⁻¹` and `W⁻¹`, row-major, lower-triangular.
    private let whiten: [Complex<Float>], unwhiten: [Complex<Float>]

    /// The whitening of the noise `[coils, readouts, samples]` (every sample of a coil is one
    /// realisation). Throws if there are fewer samples than coils or the covariance is singular.
    public init(noise: KSpace) throws {
        let c = noise.coils, s = noise.ny * noise.nx
        guard s >= 2 * c else {
            throw MRIError(.format, "noise data: \(s) samples per coil cannot estimate the covariance of \(c) coils (need at least \(2 * c))")
        }
        var psi = [Complex<Double>](repeating: .zero, count: c * c)
        for i in 0..<c {
            for j in 0...i {
                var sum = Complex<Double>.zero
                for t in 0..<s {
                    let a = noise.data[i * s + t], b = noise.data[j * s + t]
                    sum += Complex(Double(a.real), Double(a.imaginary)) * Complex(Double(b.real), -Double(b.imaginary))
                }
                psi[i * c + j] = sum.divided(by: Double(s))
                psi[j * c + i] = psi[i * c + j].conjugate
            }
        }
        let mean = (0..<c).reduce(0.0) { $0 + psi[$1 * c + $1].real } / Double(c)
        guard mean > 0, mean.isFinite else { throw MRIError(.format, "noise data: the coils' noise variance is \(mean)") }
        // Cholesky Ψ̃ = L Lᴴ (lower), in double precision.
        var l = [Complex<Double>](repeating: .zero, count: c * c)
        for j in 0..<c {
            var d = psi[j * c + j].real / mean
            for k in 0..<j { d -= l[j * c + k].lengthSquared }
            guard d > 1e-12 else {
                throw MRIError(.numerical, "noise data: the coil noise covariance is singular (coil \(j) is a combination of the others)")
            }
            l[j * c + j] = Complex(d.squareRoot(), 0)
            for i in (j + 1)..<max(c, j + 1) {
                var v = psi[i * c + j].divided(by: mean)
                for k in 0..<j { v -= l[i * c + k] * l[j * c + k].conjugate }
                l[i * c + j] = v.divided(by: l[j * c + j].real)
            }
        }
        // W = L⁻¹ by forward substitution, column by column.
        var w = [Complex<Double>](repeating: .zero, count: c * c)
        for col in 0..<c {
            for i in col..<c {
                var v: Complex<Double> = i == col ? .one : .zero
                for k in col..<i {
                    let product: Complex<Double> = l[i * c + k] * w[k * c + col]
                    v -= product
                }
                w[i * c + col] = v.divided(by: l[i * c + i].real)
            }
        }
        coils = c
        covariance = psi
        meanVariance = mean
        samples = s
        whiten = w.map { Complex(Float($0.real), Float($0.imaginary)) }
        unwhiten = l.map { Complex(Float($0.real), Float($0.imaginary)) }
    }

    /// `k` with every sample's coil vector multiplied by `W`: noise of covariance `Ψ` becomes
    /// white (covariance `meanVariance · I`).
    public func whitened(_ k: KSpace) throws -> KSpace { try transformed(k, by: whiten) }

    /// The inverse of ``whitened(_:)``: back to the physical coils.
    public func unwhitened(_ k: KSpace) throws -> KSpace { try transformed(k, by: unwhiten) }

    private func transformed(_ k: KSpace, by matrix: [Complex<Float>]) throws -> KSpace {
        guard k.coils == coils else {
            throw MRIError(.invalidArgument, "prewhitening: the noise data have \(coils) coils, the k-space \(k.coils)")
        }
        let p = k.ny * k.nx
        var out = [Complex<Float>](repeating: .zero, count: k.data.count)
        // Column-major, the k-space is a p × coils matrix K and the row-major M is Mᵀ: K Mᵀ.
        k.data.withUnsafeBufferPointer { a in
            matrix.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    ComplexLinearAlgebra.gemm(.none, .none, m: p, n: coils, k: coils, a: a.baseAddress!, lda: p,
                                              b: m.baseAddress!, ldb: coils, c: o.baseAddress!, ldc: p)
                }
            }
        }
        return try KSpace(coils: k.coils, ny: k.ny, nx: k.nx, data: out)
    }
}
