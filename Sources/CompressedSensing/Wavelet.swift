import Numerics

/// The orthonormal 2-D Daubechies wavelet transform with two vanishing moments (4-tap
/// filters, as BART's default `dau2`), periodic at the image borders, on complex images
/// (real and imaginary parts alike). Levels are taken while both sides are even and at
/// least 32, so the coarsest band is at least 16 × 16 (BART's minimum size); the
/// coefficients are in the usual Mallat layout, in place of the image.
public struct Wavelet2D: Sendable {
    public let ny: Int
    public let nx: Int
    /// Decomposition levels.
    public let levels: Int

    /// Low-pass analysis filter h; high-pass g[n] = (−1)ⁿ h[3 − n].
    static let low: [Float] = [0.48296291314453414, 0.8365163037378079, 0.2241438680420134, -0.12940952255126037]
    static let high: [Float] = [-0.12940952255126037, -0.2241438680420134, 0.8365163037378079, -0.48296291314453414]

    public init(ny: Int, nx: Int) {
        var levels = 0, h = ny, w = nx
        while h % 2 == 0, w % 2 == 0, h >= 32, w >= 32 { levels += 1; h /= 2; w /= 2 }
        (self.ny, self.nx, self.levels) = (ny, nx, levels)
    }

    /// Image → coefficients, in place.
    public func forward(_ x: inout [Complex<Float>]) {
        precondition(x.count == ny * nx)
        var h = ny, w = nx
        var line = [Complex<Float>](repeating: .zero, count: max(ny, nx)), out = line
        for _ in 0..<levels {
            for y in 0..<h { transformRow(&x, y, w, &line, &out, forward: true) }
            for c in 0..<w { transformColumn(&x, c, h, &line, &out, forward: true) }
            h /= 2; w /= 2
        }
    }

    /// Coefficients → image, in place (the exact inverse: the transform is orthonormal).
    public func inverse(_ x: inout [Complex<Float>]) {
        precondition(x.count == ny * nx)
        var line = [Complex<Float>](repeating: .zero, count: max(ny, nx)), out = line
        for level in stride(from: levels - 1, through: 0, by: -1) {
            let h = ny >> level, w = nx >> level
            for c in 0..<w { transformColumn(&x, c, h, &line, &out, forward: false) }
            for y in 0..<h { transformRow(&x, y, w, &line, &out, forward: false) }
        }
    }

    private func transformRow(_ x: inout [Complex<Float>], _ y: Int, _ n: Int, _ line: inout [Complex<Float>],
                              _ out: inout [Complex<Float>], forward: Bool) {
        for i in 0..<n { line[i] = x[y * nx + i] }
        forward ? Self.analyse(line, n, &out) : Self.synthesise(line, n, &out)
        for i in 0..<n { x[y * nx + i] = out[i] }
    }

    private func transformColumn(_ x: inout [Complex<Float>], _ c: Int, _ n: Int, _ line: inout [Complex<Float>],
                                 _ out: inout [Complex<Float>], forward: Bool) {
        for i in 0..<n { line[i] = x[i * nx + c] }
        forward ? Self.analyse(line, n, &out) : Self.synthesise(line, n, &out)
        for i in 0..<n { x[i * nx + c] = out[i] }
    }

    /// a[i] = Σₖ h[k]·x[(2i + k) mod n] into out[0..<n/2], d[i] likewise with g into out[n/2..<n].
    static func analyse(_ x: [Complex<Float>], _ n: Int, _ out: inout [Complex<Float>]) {
        let half = n / 2
        for i in 0..<half {
            var a = Complex<Float>.zero, d = Complex<Float>.zero
            for k in 0..<4 {
                let v = x[(2 * i + k) % n]
                a = a + v.multiplied(by: low[k])
                d = d + v.multiplied(by: high[k])
            }
            out[i] = a
            out[half + i] = d
        }
    }

    /// The adjoint (= inverse) of ``analyse(_:_:_:)``: x[(2i + k) mod n] += h[k]·a[i] + g[k]·d[i].
    static func synthesise(_ c: [Complex<Float>], _ n: Int, _ out: inout [Complex<Float>]) {
        let half = n / 2
        for i in 0..<n { out[i] = .zero }
        for i in 0..<half {
            let a = c[i], d = c[half + i]
            for k in 0..<4 {
                let j = (2 * i + k) % n
                out[j] = out[j] + a.multiplied(by: low[k]) + d.multiplied(by: high[k])
            }
        }
    }
}
