import Foundation

/// Image-quality metrics of a reconstructed RSS magnitude image against a reference.
///
/// Definitions (all accumulated in Double):
/// * **NRMSE** = ‖x̂ − x‖₂ / ‖x‖₂ over the whole image.
/// * **PSNR** = 20·log10(max(x) / RMSE), RMSE = ‖x̂ − x‖₂ / sqrt(N); the peak is the
///   reference's maximum pixel, so PSNR does not depend on the image's scaling.
/// * **SSIM** as Wang et al. (2004): an 11 × 11 Gaussian window with σ = 1.5
///   (weights normalised to 1), local means, population variances and covariance,
///   C1 = (0.01·L)², C2 = (0.03·L)², L = max(x) − min(x) of the reference; the mean
///   of the SSIM map over the positions where the window lies entirely inside the
///   image. This equals scikit-image's `structural_similarity(x̂, x, data_range=L,
///   gaussian_weights=True, sigma=1.5, use_sample_covariance=False)`.
public struct ImageMetrics: Sendable, Equatable, Codable {
    /// Normalised root-mean-square error.
    public let nrmse: Double
    /// Peak signal-to-noise ratio in dB.
    public let psnr: Double
    /// Structural similarity index.
    public let ssim: Double

    /// Computes all three metrics of `image` against `reference` (same shape).
    public init(image: RealImage, reference: RealImage) {
        nrmse = Self.nrmse(image, reference)
        psnr = Self.psnr(image, reference)
        ssim = Self.ssim(image, reference)
    }

    /// ‖x̂ − x‖₂ / ‖x‖₂.
    public static func nrmse(_ image: RealImage, _ reference: RealImage) -> Double {
        precondition(image.pixels.count == reference.pixels.count, "images differ in size")
        var num = 0.0, den = 0.0
        for (a, b) in zip(image.pixels, reference.pixels) {
            let d = Double(a) - Double(b)
            num += d * d
            den += Double(b) * Double(b)
        }
        return (num / den).squareRoot()
    }

    /// 20·log10(max(x) / RMSE) in dB; +∞ for identical images.
    public static func psnr(_ image: RealImage, _ reference: RealImage) -> Double {
        precondition(image.pixels.count == reference.pixels.count, "images differ in size")
        var sq = 0.0
        for (a, b) in zip(image.pixels, reference.pixels) {
            let d = Double(a) - Double(b)
            sq += d * d
        }
        let rmse = (sq / Double(reference.pixels.count)).squareRoot()
        let peak = Double(reference.pixels.max() ?? 0)
        return 20 * log10(peak / rmse)
    }

    /// Radius of the SSIM window (11 × 11).
    public static let ssimRadius = 5
    /// Standard deviation of the SSIM window's Gaussian, in pixels.
    public static let ssimSigma = 1.5

    /// The normalised 1-D Gaussian of the SSIM window (the 2-D window is its outer product).
    public static func ssimWindow() -> [Double] {
        let w = (-ssimRadius...ssimRadius).map { exp(-Double($0 * $0) / (2 * ssimSigma * ssimSigma)) }
        let s = w.reduce(0, +)
        return w.map { $0 / s }
    }

    /// Mean SSIM over the valid window positions (see the type's documentation).
    public static func ssim(_ image: RealImage, _ reference: RealImage) -> Double {
        precondition(image.ny == reference.ny && image.nx == reference.nx, "images differ in size")
        let r = ssimRadius, ny = image.ny, nx = image.nx
        guard ny > 2 * r, nx > 2 * r else { return nrmse(image, reference) == 0 ? 1 : 0 }
        let lo = Double(reference.pixels.min()!), hi = Double(reference.pixels.max()!)
        let range = hi - lo
        let c1 = (0.01 * range) * (0.01 * range), c2 = (0.03 * range) * (0.03 * range)
        let w = ssimWindow()
        let x = image.pixels.map(Double.init), y = reference.pixels.map(Double.init)
        // Separable filtering of x, y, x², y², xy: along rows (valid), then along columns (valid).
        let fields: [[Double]] = [x, y, zip(x, x).map(*), zip(y, y).map(*), zip(x, y).map(*)]
        let vx = nx - 2 * r, vy = ny - 2 * r
        let filtered = fields.map { f -> [Double] in
            var rows = [Double](repeating: 0, count: ny * vx)
            for yy in 0..<ny {
                for xx in 0..<vx {
                    var s = 0.0
                    for k in 0...(2 * r) { s += w[k] * f[yy * nx + xx + k] }
                    rows[yy * vx + xx] = s
                }
            }
            var out = [Double](repeating: 0, count: vy * vx)
            for yy in 0..<vy {
                for xx in 0..<vx {
                    var s = 0.0
                    for k in 0...(2 * r) { s += w[k] * rows[(yy + k) * vx + xx] }
                    out[yy * vx + xx] = s
                }
            }
            return out
        }
        var total = 0.0
        for i in 0..<(vx * vy) {
            let mx = filtered[0][i], my = filtered[1][i]
            let sxx = filtered[2][i] - mx * mx, syy = filtered[3][i] - my * my, sxy = filtered[4][i] - mx * my
            total += ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
        }
        return total / Double(vx * vy)
    }
}
