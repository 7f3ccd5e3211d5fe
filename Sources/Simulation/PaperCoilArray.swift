import Foundation
import MRICore
import Numerics

/// The 32-channel head array of the paper's setting, as the reference simulation of the paper's setting
/// builds it: 4 rings (z = −0.3, −0.1, 0.1, 0.3 in half-FOV units) × 8 loops on a circle of
/// radius 1, rings staggered by 22.5°; `|S| ∝ 1/(d² + z²)`, phase of S = angle of
/// (pixel − coil) + 0.7·ring; image rows run downwards (`Y = (row − n/2)/(n/2)`);
/// normalised to peak magnitude 1. The shipped meta models belong to this array.
public enum PaperCoilArray {
    /// Name recorded in models.
    public static let name = "paper-32-loop-4x8"
    /// Number of coils.
    public static let coils = 32

    /// Coil centres `(x, y, z)` in half-FOV units, ring by ring.
    public static var centres: [(Double, Double, Double)] {
        [-0.3, -0.1, 0.1, 0.3].enumerated().flatMap { r, z in
            (0..<8).map { j in
                let th = 2 * Double.pi * Double(j) / 8 + (Double.pi / 8) * Double(r % 2)
                return (cos(th), sin(th), z)
            }
        }
    }

    /// Sensitivity maps `[coil, row, column]` on an `n × n` grid.
    public static func maps(_ n: Int) -> [Complex<Float>] {
        maps(n, centres: centres, perRing: 8)
    }

    /// Loops at `centres` (rings of `perRing`, in order) of the same model: `|S| ∝ 1/(d² + z²)`,
    /// phase angle(pixel − coil) + 0.7·ring, normalised to peak magnitude 1; with `placement`,
    /// as the array sits on one subject: the loops moved, then their gains and field
    /// modulation applied after the normalisation (so that a gain shows in the data).
    public static func maps(_ n: Int, centres: [(Double, Double, Double)], perRing: Int,
                            placement: HeadPlacement? = nil) -> [Complex<Float>] {
        var maps = [Complex<Float>](repeating: .zero, count: centres.count * n * n)
        var peak: Float = 0
        for (c, (x0, y0, zr)) in centres.enumerated() {
            let (cx, cy) = placement?.centre(x0, y0) ?? (x0, y0)
            for y in 0..<n {
                for x in 0..<n {
                    let (X, Y) = (Double(x - n / 2) / Double(n / 2), Double(y - n / 2) / Double(n / 2))
                    let (dx, dy) = (X - cx, Y - cy)
                    let mag = 1 / (dx * dx + dy * dy + zr * zr), ph = atan2(dy, dx) + 0.7 * Double(c / perRing)
                    var s = Complex(Float(mag * cos(ph)), Float(mag * sin(ph)))
                    peak = max(peak, s.length)
                    if let placement {
                        let f = placement.factor(coil: c, X, Y)
                        s = s * Complex(Float(f.real), Float(f.imaginary))
                    }
                    maps[(c * n + y) * n + x] = s
                }
            }
        }
        for i in 0..<maps.count { maps[i] = Complex(maps[i].real / peak, maps[i].imaginary / peak) }
        return maps
    }

    /// Another head array of the same construction: `coils` loops in the fewest rings of at
    /// most 10 that divide them evenly (8: one ring; 12: 2 × 6; 20: 2 × 10; 32: 4 × 8, this
    /// array), rings spread over z ∈ [−0.3, 0.3] and staggered by half a loop.
    public static func rings(coils: Int) -> (centres: [(Double, Double, Double)], perRing: Int) {
        let count = (1...coils).first { coils % $0 == 0 && coils / $0 <= 10 } ?? coils
        let perRing = coils / count
        let centres = (0..<count).flatMap { r in
            let z = count == 1 ? 0 : -0.3 + 0.6 * Double(r) / Double(count - 1)
            return (0..<perRing).map { j in
                let th = 2 * Double.pi * Double(j) / Double(perRing) + (Double.pi / Double(perRing)) * Double(r % 2)
                return (cos(th), sin(th), z)
            }
        }
        return (centres, perRing)
    }

    /// Noise covariance `I + ρ·exp(−|c_i − c_j|/0.6)` between the coils (make_sim.py's model; ρ = 0.25 there).
    public static func noiseCovariance(correlation: Double, centres: [(Double, Double, Double)]) -> [Double] {
        let n = centres.count
        var psi = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                let (a, b) = (centres[i], centres[j])
                let d = ((a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1) + (a.2 - b.2) * (a.2 - b.2)).squareRoot()
                psi[i * n + j] = (i == j ? 1 : 0) + correlation * exp(-d / 0.6)
            }
        }
        return psi
    }
}
