import Compute
import Foundation
import MRICore
import Numerics
import Simulation
import Testing
import TestSupport

/// SSIM written the slow, obvious way: for every valid position, weighted sums over the
/// full 2-D window (no separable filtering), straight from Wang et al. (2004).
func directSSIM(_ a: RealImage, _ b: RealImage) -> Double {
    let r = ImageMetrics.ssimRadius, g = ImageMetrics.ssimWindow()
    let lo = Double(b.pixels.min()!), hi = Double(b.pixels.max()!)
    let c1 = pow(0.01 * (hi - lo), 2), c2 = pow(0.03 * (hi - lo), 2)
    var total = 0.0, count = 0
    for y in r..<(a.ny - r) {
        for x in r..<(a.nx - r) {
            var mx = 0.0, my = 0.0
            for i in -r...r { for j in -r...r {
                let w = g[i + r] * g[j + r]
                mx += w * Double(a[y + i, x + j]); my += w * Double(b[y + i, x + j])
            } }
            var vx = 0.0, vy = 0.0, cxy = 0.0
            for i in -r...r { for j in -r...r {
                let w = g[i + r] * g[j + r]
                let dx = Double(a[y + i, x + j]) - mx, dy = Double(b[y + i, x + j]) - my
                vx += w * dx * dx; vy += w * dy * dy; cxy += w * dx * dy
            } }
            total += (2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2))
            count += 1
        }
    }
    return total / Double(count)
}

@Suite struct ImageMetricsTests {
    func randomImage(_ ny: Int, _ nx: Int, seed: UInt64) -> RealImage {
        var rng = SeededGenerator(seed: seed)
        return RealImage(ny: ny, nx: nx, pixels: (0..<(ny * nx)).map { _ in Float(rng.uniform()) })
    }

    @Test func nrmseAndPSNRByHand() {
        let ref = RealImage(ny: 1, nx: 4, pixels: [1, 2, 3, 4])
        let img = RealImage(ny: 1, nx: 4, pixels: [1, 2, 3, 5])
        #expect(abs(ImageMetrics.nrmse(img, ref) - 1 / 30.0.squareRoot()) < 1e-12)
        // RMSE = sqrt(1/4) = 0.5, peak 4: 20·log10(8).
        #expect(abs(ImageMetrics.psnr(img, ref) - 20 * log10(8.0)) < 1e-9)
    }

    @Test func ssimOfIdenticalImagesIsOne() {
        let a = randomImage(20, 24, seed: 3)
        #expect(abs(ImageMetrics.ssim(a, a) - 1) < 1e-12)
    }

    @Test func ssimOfConstantImagesHasTheClosedForm() {
        // Both constant: no variance, so SSIM = (2ab + C1)/(a² + b² + C1) with L from the reference.
        // The reference needs a range, so give it one bright pixel outside the valid window.
        var ref = RealImage(ny: 16, nx: 16, pixels: Array(repeating: 0.5, count: 256))
        ref[0, 0] = 1.5
        var img = RealImage(ny: 16, nx: 16, pixels: Array(repeating: 0.8, count: 256))
        img[0, 0] = 0.8
        let c1 = pow(0.01 * 1.0, 2)
        let expected = (2 * 0.8 * 0.5 + c1) / (0.64 + 0.25 + c1)
        // Positions whose window covers (0, 0) see variance; exclude them by comparing to the direct form too.
        #expect(abs(ImageMetrics.ssim(img, ref) - directSSIM(img, ref)) < 1e-9)
        let far = RealImage(ny: 30, nx: 30, pixels: Array(repeating: 0.5, count: 900))
        var refFar = far
        refFar[0, 0] = 1.5
        var imgFar = RealImage(ny: 30, nx: 30, pixels: Array(repeating: 0.8, count: 900))
        imgFar[0, 0] = 0.8
        let s = ImageMetrics.ssim(imgFar, refFar)
        // 20×20 valid positions; those within the window of (0,0) differ, the rest equal `expected`.
        #expect(s < 1 && abs(s - expected) < 0.05)
    }

    @Test func ssimMatchesTheDirectDefinition() {
        let a = randomImage(23, 19, seed: 5), b = randomImage(23, 19, seed: 6)
        let blurred = RealImage(ny: 23, nx: 19, pixels: zip(a.pixels, b.pixels).map { 0.7 * $0 + 0.3 * $1 })
        #expect(abs(ImageMetrics.ssim(blurred, a) - directSSIM(blurred, a)) < 1e-9)
        #expect(abs(ImageMetrics.ssim(b, a) - directSSIM(b, a)) < 1e-9)
    }

    /// SSIM equals scikit-image's `structural_similarity` with the settings the documentation
    /// names, on a phantom's RSS image against degraded copies of it (blur, noise, a shift).
    @Test func ssimEqualsScikitImage() throws {
        let dir = try TemporaryDirectory()
        defer { dir.cleanup() }
        let reference = CenteredFFT.rssImage(of: try PhantomSimulator(ny: 64, nx: 56, coils: 4, seed: 9).simulate().clean)
        var rng = SeededGenerator(seed: 11)
        let noisy = RealImage(ny: 64, nx: 56, pixels: reference.pixels.map { $0 + 0.05 * Float(rng.normal()) * reference.pixels.max()! })
        let shifted = RealImage(ny: 64, nx: 56, pixels: (0..<(64 * 56)).map { reference.pixels[($0 + 1) % (64 * 56)] })
        let blurred = RealImage(ny: 64, nx: 56, pixels: (0..<(64 * 56)).map {
            0.5 * reference.pixels[$0] + 0.25 * reference.pixels[max($0 - 1, 0)] + 0.25 * reference.pixels[min($0 + 1, 64 * 56 - 1)]
        })
        var ours: [Double] = []
        for (name, image) in [("reference", reference), ("noisy", noisy), ("shifted", shifted), ("blurred", blurred)] {
            try writeFloatImage(image, to: dir.file(name + ".f32"))
            ours.append(ImageMetrics.ssim(image, reference))
        }
        let py = try runPython("""
            import numpy as np
            from skimage.metrics import structural_similarity
            load = lambda name: np.fromfile('\(dir.path)/' + name + '.f32', dtype='<f4').reshape(64, 56).astype(np.float64)
            ref = load('reference')
            for name in ['reference', 'noisy', 'shifted', 'blurred']:
                x = load(name)
                print(structural_similarity(x, ref, data_range=ref.max() - ref.min(), gaussian_weights=True, sigma=1.5,
                                            use_sample_covariance=False))
            """)
        let theirs = py.stdout.split(separator: "\n").compactMap { Double($0) }
        try #require(py.status == 0 && theirs.count == 4, "scikit-image failed: \(py.stderr)")
        for (a, b) in zip(ours, theirs) { #expect(abs(a - b) < 1e-6, "ours \(a), scikit-image \(b)") }
        #expect(theirs[1] < 0.9 && theirs[2] < 0.99, "the degraded images must differ: \(theirs)")
    }

    /// Two coils of 10 × 8: 2 in every corner pixel of the first (size 3), 1 in the second's,
    /// and 100 everywhere else, which must not count: (4·9·4 + 1·9·4) / 72 = 2.5.
    @Test func cornerVarianceAveragesTheFourCornersOfEveryCoil() {
        var data = [Complex<Float>](repeating: Complex(100, 0), count: 2 * 10 * 8)
        for c in 0..<2 {
            for y in 0..<10 where y < 3 || y >= 7 {
                for x in 0..<8 where x < 3 || x >= 5 { data[(c * 10 + y) * 8 + x] = c == 0 ? Complex(0, 2) : Complex(1, 0) }
            }
        }
        #expect(CoilImages(coils: 2, ny: 10, nx: 8, data: data).cornerVariance(size: 3) == 2.5)
    }
}

/// The pixels as raw little-endian float32.
private func writeFloatImage(_ image: RealImage, to path: String) throws {
    try image.pixels.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
}
