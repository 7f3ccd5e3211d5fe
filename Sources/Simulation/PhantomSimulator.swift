import Compute
import Foundation
import MRICore
import Numerics

/// Simulates multi-coil k-space of a phantom, so that the demo and tests need no
/// external data: a modified Shepp–Logan object with smooth polynomial phase, seen by
/// loop coils arranged in rings around it, plus complex Gaussian noise correlated
/// between neighbouring coils. Deterministic for a given seed.
///
/// The model follows the reference simulation of the paper's setting (make_sim.py): coil sensitivity
/// `|S| ∝ 1/(d² + z²)` with phase `angle(pixel − coil) + 0.7·ring`, noise covariance
/// `σ²(I + ρ·exp(−|c_i − c_j|/0.6))` with `σ = noiseLevel · max|coil image|`, and
/// k-space the centred orthonormal FFT of the coil images (an "inverse crime" for
/// FFT-based methods).
public struct PhantomSimulator: Sendable {
    /// Rows (phase-encode lines).
    public var ny: Int
    /// Columns (readout samples).
    public var nx: Int
    /// Number of coils (arranged in rings of up to 8).
    public var coils: Int
    /// Noise standard deviation relative to the largest coil-image magnitude.
    public var noiseLevel: Double
    /// Strength ρ of the noise correlation between neighbouring coils.
    public var noiseCorrelation: Double
    /// Seed for the phase coefficients and the noise.
    public var seed: UInt64
    /// Size of the phantom relative to the field of view (the modified Shepp–Logan's
    /// outer ellipse spans 0.92 of it at scale 1).
    public var objectScale = 0.85
    /// Coil layout: rings of up to 8 loops around the object (`coils` of them), or the
    /// paper's 32-loop head array (``PaperCoilArray``; needs a square matrix and 32 coils).
    public var array: Layout = .rings

    /// Coil layouts.
    public enum Layout: String, Sendable, CaseIterable {
        /// Rings of up to 8 loops, as many coils as asked.
        case rings
        /// The paper's 32-loop array (make_sim.py), which the shipped meta models belong to.
        case paper
    }

    /// A simulator with the defaults of the reference simulation.
    public init(ny: Int = 128, nx: Int = 128, coils: Int = 8, noiseLevel: Double = 0.004,
                noiseCorrelation: Double = 0.25, seed: UInt64 = 20190501) {
        self.ny = ny
        self.nx = nx
        self.coils = coils
        self.noiseLevel = noiseLevel
        self.noiseCorrelation = noiseCorrelation
        self.seed = seed
    }

    /// Noise-free and noisy k-space, both scaled by the same factor so that the noisy
    /// one has max |k| = 1.
    public struct Output: Sendable {
        /// The k-space without noise (the ground truth for noise-amplification studies).
        public var clean: KSpace
        /// The k-space with correlated noise, as a scanner would give it.
        public var noisy: KSpace
    }

    /// Checks sizes before any allocation.
    public func validate() throws {
        guard ny >= 8, nx >= 8, ny <= 4096, nx <= 4096 else {
            throw MRIError(.invalidArgument, "phantom matrix must be between 8 and 4096 per side, found \(ny) × \(nx)")
        }
        guard (1...128).contains(coils) else {
            throw MRIError(.invalidArgument, "phantom coil count must be 1…128, found \(coils)")
        }
        guard objectScale > 0.05, objectScale <= 1 else {
            throw MRIError(.invalidArgument, "phantom scale must be in (0.05, 1], found \(objectScale)")
        }
        guard array == .rings || (coils == PaperCoilArray.coils && ny == nx) else {
            throw MRIError(.invalidArgument,
                           "the paper array has \(PaperCoilArray.coils) coils on a square matrix, found \(coils) coils, \(ny) × \(nx)")
        }
        guard noiseLevel >= 0, noiseLevel.isFinite, noiseCorrelation >= 0, noiseCorrelation < 1 else {
            throw MRIError(.invalidArgument,
                           "noise level must be ≥ 0 and correlation in [0, 1), found \(noiseLevel) and \(noiseCorrelation)")
        }
    }

    /// Runs the simulation.
    public func simulate() throws -> Output {
        try validate()
        var rng = SeededGenerator(seed: seed)
        let object = objectImage(&rng)
        let (maps, centres) = array == .paper ? (PaperCoilArray.maps(nx), PaperCoilArray.centres) : coilMaps()
        let n = ny * nx
        var coilData = [Complex<Float>](repeating: .zero, count: coils * n)
        var peak: Float = 0
        for c in 0..<coils {
            for i in 0..<n {
                let z = maps[c * n + i] * object[i]
                coilData[c * n + i] = z
                peak = max(peak, z.length)
            }
        }
        let clean = CenteredFFT.kspace(from: CoilImages(coils: coils, ny: ny, nx: nx, data: coilData))
        var noisy = clean
        let l = Self.cholesky(PaperCoilArray.noiseCovariance(correlation: noiseCorrelation, centres: centres), coils)
        let sigma = noiseLevel * Double(peak)
        var w = [Double](repeating: 0, count: 2 * coils)
        for i in 0..<n {
            for j in 0..<(2 * coils) { w[j] = rng.normal() / 2.0.squareRoot() }
            for c in 0..<coils {
                var re = 0.0, im = 0.0
                for j in 0...c {
                    re += l[c * coils + j] * w[2 * j]
                    im += l[c * coils + j] * w[2 * j + 1]
                }
                noisy.data[c * n + i] += Complex(Float(sigma * re), Float(sigma * im))
            }
        }
        let scale = 1 / (noisy.data.lazy.map { $0.length }.max() ?? 1)
        var out = Output(clean: clean, noisy: noisy)
        for i in 0..<out.clean.data.count {
            out.clean.data[i] = Complex(out.clean.data[i].real * scale, out.clean.data[i].imaginary * scale)
            out.noisy.data[i] = Complex(out.noisy.data[i].real * scale, out.noisy.data[i].imaginary * scale)
        }
        return out
    }

    /// Normalised coordinates of pixel (row, column): X right, Y up, both in [−1, 1).
    private func coordinates(_ row: Int, _ col: Int) -> (x: Double, y: Double) {
        (Double(col - nx / 2) / Double(nx / 2), -Double(row - ny / 2) / Double(ny / 2))
    }

    /// The modified Shepp–Logan phantom (Toft), shrunk by ``objectScale``,
    /// times a random smooth second-order phase.
    private func objectImage(_ rng: inout SeededGenerator) -> [Complex<Float>] {
        // (intensity, semi-axis a, semi-axis b, centre x, centre y, rotation in degrees)
        let ellipses: [(Double, Double, Double, Double, Double, Double)] = [
            (1.0, 0.69, 0.92, 0, 0, 0), (-0.8, 0.6624, 0.874, 0, -0.0184, 0),
            (-0.2, 0.11, 0.31, 0.22, 0, -18), (-0.2, 0.16, 0.41, -0.22, 0, 18),
            (0.1, 0.21, 0.25, 0, 0.35, 0), (0.1, 0.046, 0.046, 0, 0.1, 0),
            (0.1, 0.046, 0.046, 0, -0.1, 0), (0.1, 0.046, 0.023, -0.08, -0.605, 0),
            (0.1, 0.023, 0.023, 0, -0.606, 0), (0.1, 0.023, 0.046, 0.06, -0.605, 0),
        ]
        let coeff = (0..<5).map { _ in 2 * rng.uniform() - 1 }
        var out = [Complex<Float>](repeating: .zero, count: ny * nx)
        for row in 0..<ny {
            for col in 0..<nx {
                let (px, py) = coordinates(row, col)
                let x = px / objectScale, y = py / objectScale
                var value = 0.0
                for (a, sa, sb, cx, cy, deg) in ellipses {
                    let t = deg * Double.pi / 180
                    let dx = x - cx, dy = y - cy
                    let u = dx * cos(t) + dy * sin(t), v = -dx * sin(t) + dy * cos(t)
                    if (u * u) / (sa * sa) + (v * v) / (sb * sb) <= 1 { value += a }
                }
                let phase = 0.6 * Double.pi * (coeff[0] * px + coeff[1] * py + coeff[2] * px * px
                                               + coeff[3] * px * py + coeff[4] * py * py)
                out[row * nx + col] = Complex(Float(value * cos(phase)), Float(value * sin(phase)))
            }
        }
        return out
    }

    /// Loop-coil sensitivities, rings of up to 8 loops on a circle of radius 1 (half-FOV
    /// units) at heights spread over [−0.3, 0.3], normalised to a peak magnitude of 1.
    private func coilMaps() -> ([Complex<Float>], [(Double, Double, Double)]) {
        let rings = (coils + 7) / 8
        let perRing = (coils + rings - 1) / rings
        var centres: [(Double, Double, Double)] = []
        for c in 0..<coils {
            let r = c / perRing, j = c % perRing
            let z = rings == 1 ? 0.2 : -0.3 + 0.6 * Double(r) / Double(rings - 1)
            let th = 2 * Double.pi * Double(j) / Double(perRing) + (Double.pi / Double(perRing)) * Double(r % 2)
            centres.append((cos(th), sin(th), z))
        }
        let n = ny * nx
        var maps = [Complex<Float>](repeating: .zero, count: coils * n)
        var peak: Float = 0
        for (c, (cx, cy, cz)) in centres.enumerated() {
            for row in 0..<ny {
                for col in 0..<nx {
                    let (x, y) = coordinates(row, col)
                    let dx = x - cx, dy = y - cy
                    let mag = 1 / (dx * dx + dy * dy + cz * cz + 1e-3)
                    let ph = atan2(dy, dx) + 0.7 * Double(c / perRing)
                    let s = Complex(Float(mag * cos(ph)), Float(mag * sin(ph)))
                    maps[c * n + row * nx + col] = s
                    peak = max(peak, s.length)
                }
            }
        }
        for i in 0..<maps.count { maps[i] = Complex(maps[i].real / peak, maps[i].imaginary / peak) }
        return (maps, centres)
    }

    /// Lower Cholesky factor of a small symmetric positive-definite matrix (row-major).
    package static func cholesky(_ a: [Double], _ n: Int) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = i == j ? s.squareRoot() : s / l[j * n + j]
            }
        }
        return l
    }
}
