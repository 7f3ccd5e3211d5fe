import Numerics

/// Complex coil images `[coils, y, x]`, the image-domain twin of ``KSpace``.
public struct CoilImages: Sendable, Equatable {
    /// Number of coils.
    public let coils: Int
    /// Image rows (phase-encode direction).
    public let ny: Int
    /// Image columns (readout direction).
    public let nx: Int
    /// Pixels, index `(c * ny + y) * nx + x`.
    public var data: [Complex<Float>]

    /// Creates coil images; `data.count` must be `coils * ny * nx`.
    public init(coils: Int, ny: Int, nx: Int, data: [Complex<Float>]) {
        precondition(data.count == coils * ny * nx, "coil image size mismatch")
        self.coils = coils
        self.ny = ny
        self.nx = nx
        self.data = data
    }

    /// Root-sum-of-squares coil combination: `sqrt(Σ_c |x_c|²)` per pixel.
    public func rootSumOfSquares() -> RealImage {
        let n = ny * nx
        var out = [Float](repeating: 0, count: n)
        data.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<coils {
                    let base = c * n
                    for i in 0..<n {
                        let z = src[base + i]
                        dst[i] += z.real * z.real + z.imaginary * z.imaginary
                    }
                }
                for i in 0..<n { dst[i] = dst[i].squareRoot() }
            }
        }
        return RealImage(ny: ny, nx: nx, pixels: out)
    }

    /// Mean squared magnitude over every coil's four `size × size` corners: where the object
    /// leaves them empty, the image noise variance of one pixel of one coil.
    public func cornerVariance(size: Int) -> Double {
        var sum = 0.0, count = 0
        for c in 0..<coils {
            for y in 0..<ny where y < size || y >= ny - size {
                for x in 0..<nx where x < size || x >= nx - size { sum += Double(data[(c * ny + y) * nx + x].lengthSquared); count += 1 }
            }
        }
        return sum / Double(max(count, 1))
    }
}

/// A real-valued 2-D image `[y, x]` (e.g. an RSS magnitude image), row-major.
public struct RealImage: Sendable, Equatable {
    /// Rows.
    public let ny: Int
    /// Columns.
    public let nx: Int
    /// Pixels, index `y * nx + x`.
    public var pixels: [Float]

    /// Creates an image; `pixels.count` must be `ny * nx`.
    public init(ny: Int, nx: Int, pixels: [Float]) {
        precondition(pixels.count == ny * nx, "image size mismatch")
        self.ny = ny
        self.nx = nx
        self.pixels = pixels
    }

    /// Pixel at row `y`, column `x`.
    @inlinable
    public subscript(y: Int, x: Int) -> Float {
        get { pixels[y * nx + x] }
        set { pixels[y * nx + x] = newValue }
    }
}
