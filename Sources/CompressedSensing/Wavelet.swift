import Compute
import Numerics

/// The orthonormal 2-D Daubechies wavelet transform with two vanishing moments (4-tap
/// filters, as BART's default `dau2`), periodic at the image borders, on complex images
/// (real and imaginary parts alike). Levels are taken while both sides are even and at
/// least 32, so the coarsest band is at least 16 × 16 (BART's minimum size); the
/// coefficients are in the usual Mallat layout, in place of the image. Rows, then columns,
/// are transformed side by side on the workers.
public struct Wavelet2D: Sendable {
    public let ny: Int
    public let nx: Int
    /// Decomposition levels.
    public let levels: Int

    /// Low-pass analysis filter h; high-pass g[n] = (−1)ⁿ h[3 − n].
    static let low: (Float, Float, Float, Float) = (0.48296291314453414, 0.8365163037378079, 0.2241438680420134, -0.12940952255126037)
    static let high: (Float, Float, Float, Float) = (-0.12940952255126037, -0.2241438680420134, 0.8365163037378079, -0.48296291314453414)

    public init(ny: Int, nx: Int) {
        var levels = 0, h = ny, w = nx
        while h % 2 == 0, w % 2 == 0, h >= 32, w >= 32 { levels += 1; h /= 2; w /= 2 }
        (self.ny, self.nx, self.levels) = (ny, nx, levels)
    }

    /// Image → coefficients, in place.
    public func forward(_ x: inout [Complex<Float>]) {
        precondition(x.count == ny * nx)
        x.withUnsafeMutableBufferPointer { forward($0.baseAddress!) }
    }

    /// Coefficients → image, in place (the exact inverse: the transform is orthonormal).
    public func inverse(_ x: inout [Complex<Float>]) {
        precondition(x.count == ny * nx)
        x.withUnsafeMutableBufferPointer { inverse($0.baseAddress!) }
    }

    func forward(_ x: UnsafeMutablePointer<Complex<Float>>) {
        var h = ny, w = nx
        for _ in 0..<levels {
            pass(x, lines: h, length: w, stride: 1, distance: nx, forward: true)
            pass(x, lines: w, length: h, stride: nx, distance: 1, forward: true)
            h /= 2; w /= 2
        }
    }

    func inverse(_ x: UnsafeMutablePointer<Complex<Float>>) {
        for level in stride(from: levels - 1, through: 0, by: -1) {
            let h = ny >> level, w = nx >> level
            pass(x, lines: w, length: h, stride: nx, distance: 1, forward: false)
            pass(x, lines: h, length: w, stride: 1, distance: nx, forward: false)
        }
    }

    /// One level along `lines` lines of `length` samples (element `stride` apart, lines
    /// `distance` apart), in place.
    private func pass(_ x: UnsafeMutablePointer<Complex<Float>>, lines: Int, length n: Int, stride: Int, distance: Int, forward: Bool) {
        let data = UnsafeSendable(x)
        Parallel.forEachChunk(lines) { range in
            let line = UnsafeMutablePointer<Complex<Float>>.allocate(capacity: 2 * n)
            defer { line.deallocate() }
            let out = line + n
            for l in range {
                let base = data.value + l * distance
                for i in 0..<n { line[i] = base[i * stride] }
                if forward { Self.analyse(line, n, out) } else { Self.synthesise(line, n, out) }
                for i in 0..<n { base[i * stride] = out[i] }
            }
        }
    }

    /// a[i] = Σₖ h[k]·x[(2i + k) mod n] into out[0..<n/2], d[i] likewise with g into out[n/2..<n].
    static func analyse(_ x: UnsafePointer<Complex<Float>>, _ n: Int, _ out: UnsafeMutablePointer<Complex<Float>>) {
        let half = n / 2
        let (h0, h1, h2, h3) = low, (g0, g1, g2, g3) = high
        for i in 0..<half {
            let j = 2 * i
            let (x0, x1) = (x[j], x[j + 1])
            let (x2, x3) = j + 3 < n ? (x[j + 2], x[j + 3]) : (x[(j + 2) % n], x[(j + 3) % n])
            out[i] = Complex(h0 * x0.real + h1 * x1.real + h2 * x2.real + h3 * x3.real,
                             h0 * x0.imaginary + h1 * x1.imaginary + h2 * x2.imaginary + h3 * x3.imaginary)
            out[half + i] = Complex(g0 * x0.real + g1 * x1.real + g2 * x2.real + g3 * x3.real,
                                    g0 * x0.imaginary + g1 * x1.imaginary + g2 * x2.imaginary + g3 * x3.imaginary)
        }
    }

    /// The adjoint (= inverse) of ``analyse(_:_:_:)``: x[m] = Σ over the (i, k) with
    /// 2i + k ≡ m of h[k]·a[i] + g[k]·d[i]; an even m takes k = 0 (i = m/2) and k = 2
    /// (i = m/2 − 1), an odd m takes k = 1 and k = 3.
    static func synthesise(_ c: UnsafePointer<Complex<Float>>, _ n: Int, _ out: UnsafeMutablePointer<Complex<Float>>) {
        let half = n / 2
        let (h0, h1, h2, h3) = low, (g0, g1, g2, g3) = high
        for i in 0..<half {
            let previous = i == 0 ? half - 1 : i - 1
            let (a, d, ap, dp) = (c[i], c[half + i], c[previous], c[half + previous])
            out[2 * i] = Complex(h0 * a.real + g0 * d.real + h2 * ap.real + g2 * dp.real,
                                 h0 * a.imaginary + g0 * d.imaginary + h2 * ap.imaginary + g2 * dp.imaginary)
            out[2 * i + 1] = Complex(h1 * a.real + g1 * d.real + h3 * ap.real + g3 * dp.real,
                                     h1 * a.imaginary + g1 * d.imaginary + h3 * ap.imaginary + g3 * dp.imaginary)
        }
    }
}
