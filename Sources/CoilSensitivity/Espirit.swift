import Compute
import Foundation
import MRICore
import Numerics

/// Coil sensitivities from the fully sampled calibration lines by ESPIRiT (Uecker et al.,
/// MRM 71:990, 2014): the calibration matrix's signal subspace (its right singular vectors
/// above a threshold) defines at every pixel a small Hermitian matrix whose eigenvector of
/// eigenvalue ≈ 1 is the vector of coil sensitivities there; where no eigenvalue comes
/// near 1 there is no signal to explain, and the maps are zero (cropped).
///
/// The pixel matrices G(r) are trigonometric polynomials of degree < kernel size, so they are
/// computed exactly at full resolution from their Fourier coefficients (one FFT per coil
/// pair) and each is decomposed by power iteration started from its neighbour's vector.
/// The defaults are BART's `ecalib -m1` (kernel 6, threshold 0.001, crop 0.8), with the
/// calibration region the whole ACS block up to 32 × 32.
public struct Espirit: Sendable {
    /// Kernel width in ky and kx.
    public var kernelSize = 6
    /// Largest calibration region in ky and kx (centred on the ACS block and on kx = nx/2).
    public var calibrationSize = 32
    /// Kernels kept: singular values σᵢ with σᵢ/σ₁ > √threshold (BART's `-t`).
    public var threshold: Float = 0.001
    /// Maps are zero where the top eigenvalue is below this (BART's `-c`).
    public var crop: Float = 0.8

    public init() {}

    /// The maps of `k` (any coil count) from its fully sampled lines `calibrationLines`.
    public func maps(of k: KSpace, calibrationLines: Range<Int>) throws -> SensitivityMaps {
        let calibration = try CalibrationRegion(k, lines: calibrationLines, size: calibrationSize, kernel: kernelSize)
        let kernels = try signalKernels(calibration)
        let coefficients = pixelMatrixCoefficients(kernels, coils: k.coils)
        let pixelMatrices = PixelMatrices(coefficients: coefficients, coils: k.coils, ny: k.ny, nx: k.nx, kernelSize: kernelSize)
        var maps = pixelMatrices.topEigenvectors()
        // The phase relative to the coil combination holding most of the calibration region's
        // energy (its first principal component), as BART does, varies smoothly.
        let region = try KSpace(coils: k.coils, ny: calibration.lines, nx: calibration.width, data: calibration.samples)
        maps.alignPhase(to: try CoilCompression(fitting: region, lines: 0..<region.ny, virtualCoils: 1).basis)
        maps.crop(below: crop)
        return maps
    }

    /// The calibration matrix's right singular vectors above the threshold, as the columns
    /// of an `N × n` column-major matrix (N = coils · kernel²), from the eigenvectors of AᴴA.
    func signalKernels(_ region: CalibrationRegion) throws -> (vectors: [Complex<Float>], count: Int) {
        let n = region.columns
        var gram = region.gram()
        var values = [Float](repeating: 0, count: n)
        let ok = gram.withUnsafeMutableBufferPointer { g in
            values.withUnsafeMutableBufferPointer { ComplexLinearAlgebra.hermitianEigen(a: g.baseAddress!, n: n, lda: n, values: $0.baseAddress!) }
        }
        guard ok, let largest = values.last, largest > 0 else {
            throw MRIError(.numerical, "ESPIRiT: the calibration region holds no signal")
        }
        // Descending singular values: σᵢ = √λᵢ of AᴴA.
        let keep = values.reversed().prefix { $0 > 0 && ($0 / largest).squareRoot() > threshold.squareRoot() }.count
        var vectors = [Complex<Float>](repeating: .zero, count: n * keep)
        for j in 0..<keep {
            let column = n - 1 - j
            for i in 0..<n { vectors[j * n + i] = gram[column * n + i] }
        }
        return (vectors, keep)
    }

    /// The Fourier coefficients of every pixel matrix entry:
    /// G_{cc'}(r) = Σ_Δ Q_{cc'}[Δ] e^{i2πΔ·r}, Q_{cc'}[Δ] = (1/k²) Σ_{d−d'=Δ} P[(c,d),(c',d')], with
    /// P the projector on the span of the calibration patches. The patches are the rows of A,
    /// whose span is that of the conjugated right singular vectors: P = conj(V·Vᴴ), read
    /// here as the transpose of the Hermitian V·Vᴴ. For an object whose k-space patches lie in
    /// that subspace, G(r)·s(r) = s(r): the factor 1/k² makes the eigenvalue 1.
    /// Layout: pair p (c ≤ c', row-major over the upper triangle), then Δy, Δx in −(k−1)…k−1.
    func pixelMatrixCoefficients(_ kernels: (vectors: [Complex<Float>], count: Int), coils: Int) -> [Complex<Float>] {
        let k = kernelSize, n = coils * k * k, span = 2 * k - 1
        var projector = [Complex<Float>](repeating: .zero, count: n * n)
        kernels.vectors.withUnsafeBufferPointer { v in
            projector.withUnsafeMutableBufferPointer { p in
                ComplexLinearAlgebra.gemm(.none, .conjugateTranspose, m: n, n: n, k: kernels.count, a: v.baseAddress!, lda: n,
                                          b: v.baseAddress!, ldb: n, c: p.baseAddress!, ldc: n)
            }
        }
        let pairs = coils * (coils + 1) / 2
        var q = [Complex<Float>](repeating: .zero, count: pairs * span * span)
        let scale = 1 / Float(k * k)
        var pair = 0
        for c in 0..<coils {
            for c2 in c..<coils {
                let base = pair * span * span
                for dy in 0..<k { for dx in 0..<k {
                    let row = (c * k + dy) * k + dx
                    for dy2 in 0..<k { for dx2 in 0..<k {
                        let column = (c2 * k + dy2) * k + dx2
                        let at = base + (dy - dy2 + k - 1) * span + (dx - dx2 + k - 1)
                        q[at] = q[at] + projector[row * n + column].multiplied(by: scale)
                    } }
                } }
                pair += 1
            }
        }
        return q
    }
}

/// The fully sampled block the kernels are fitted on, as the rows of the calibration matrix A
/// (one row per kernel position, one column per coil and kernel offset).
struct CalibrationRegion {
    let coils: Int, lines: Int, width: Int, kernel: Int
    /// Samples `[coil][line][readout]`.
    let samples: [Complex<Float>]

    init(_ k: KSpace, lines range: Range<Int>, size: Int, kernel: Int) throws {
        let lines = min(range.count, size), width = min(k.nx, size)
        guard kernel >= 1, lines >= kernel, width >= kernel else {
            throw MRIError(.invalidArgument, "ESPIRiT needs a calibration region of at least \(kernel) × \(kernel) samples, found \(lines) lines × \(width)",
                           setting: .acsLines)
        }
        let y0 = range.lowerBound + (range.count - lines) / 2, x0 = k.nx / 2 - width / 2
        var samples = [Complex<Float>](repeating: .zero, count: k.coils * lines * width)
        for c in 0..<k.coils { for y in 0..<lines { for x in 0..<width {
            samples[(c * lines + y) * width + x] = k[c, y0 + y, x0 + x]
        } } }
        (self.coils, self.lines, self.width, self.kernel, self.samples) = (k.coils, lines, width, kernel, samples)
    }

    var columns: Int { coils * kernel * kernel }

    /// AᴴA (`columns × columns`, column-major).
    func gram() -> [Complex<Float>] {
        let py = lines - kernel + 1, px = width - kernel + 1, m = py * px, n = columns
        var a = [Complex<Float>](repeating: .zero, count: m * n)
        for c in 0..<coils { for dy in 0..<kernel { for dx in 0..<kernel {
            let column = (c * kernel + dy) * kernel + dx
            for ry in 0..<py { for rx in 0..<px {
                a[column * m + ry * px + rx] = samples[(c * lines + ry + dy) * width + rx + dx]
            } }
        } } }
        var g = [Complex<Float>](repeating: .zero, count: n * n)
        a.withUnsafeBufferPointer { ap in
            g.withUnsafeMutableBufferPointer { gp in
                ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: n, n: n, k: m, a: ap.baseAddress!, lda: m,
                                          b: ap.baseAddress!, ldb: m, c: gp.baseAddress!, ldc: n)
            }
        }
        return g
    }
}
