import Compute
import Foundation
import MRICore
import Numerics

/// How one subject's head sits in a receive array, and how the array's loops load on it: what
/// changes between subjects scanned with the same coil. Applied to the loop model of
/// ``PaperCoilArray`` by ``PaperCoilArray/maps(_:centres:perRing:placement:)``.
///
/// * the array's pose relative to the head: an in-plane shift of the loop centres, a rotation
///   about the array's axis and a change of its radius;
/// * each loop's complex gain (loading and cable differ per subject);
/// * a smooth per-loop field modulation over the field of view: `exp(a·X + b·Y)` in magnitude
///   and `c·X + d·Y` in phase, `X, Y ∈ [−1, 1]` (the subject's own dielectric effects).
///
/// Lengths are in half-field-of-view units (the loop model's); on the simulated 288² scans
/// of the 1 mm Colin27 volume one unit is 144 mm.
public struct HeadPlacement: Sendable, Equatable {
    /// In-plane shift of every loop centre.
    public var shift: (x: Double, y: Double)
    /// Rotation of the array about its axis, radians.
    public var rotation: Double
    /// Relative change of the array's radius (0.04: 4 % larger).
    public var radiusChange: Double
    /// Per-loop complex gain.
    public var gains: [Complex<Double>]
    /// Per-loop modulation coefficients `(a, b, c, d)` as described above.
    public var modulation: [(magnitudeX: Double, magnitudeY: Double, phaseX: Double, phaseY: Double)]

    /// The nominal placement of `coils` loops: nothing moved, unit gains, no modulation.
    public static func nominal(coils: Int) -> HeadPlacement {
        HeadPlacement(shift: (0, 0), rotation: 0, radiusChange: 0, gains: Array(repeating: Complex(1, 0), count: coils),
                      modulation: Array(repeating: (0, 0, 0, 0), count: coils))
    }

    /// Bounds of ``random(coils:seed:)``'s draws.
    public struct Spread: Sendable, Equatable {
        /// Largest shift along each axis (0.083: 12 mm on the 288² scans).
        public var shift = 0.083
        /// Largest rotation, radians (6°).
        public var rotation = 6 * Double.pi / 180
        /// Largest relative radius change.
        public var radiusChange = 0.04
        /// Largest relative change of a loop's gain magnitude, and of its phase (radians).
        public var gainMagnitude = 0.15, gainPhase = 0.3
        /// Largest modulation coefficient, magnitude and phase.
        public var modulationMagnitude = 0.15, modulationPhase = 0.3

        /// The default spread: shift 12 mm, rotation 6°, radius 4 %, gains ±15 % and ±0.3 rad,
        /// modulation up to ±0.15 in log-magnitude and ±0.3 rad in phase per half field of view.
        public init() {}
    }

    /// A placement drawn uniformly within `spread` (deterministic for a seed).
    public static func random(coils: Int, seed: UInt64, spread: Spread = Spread()) -> HeadPlacement {
        var rng = SeededGenerator(seed: seed)
        let symmetric = { (bound: Double) in bound * (2 * rng.uniform() - 1) }
        let shift = (symmetric(spread.shift), symmetric(spread.shift))
        let rotation = symmetric(spread.rotation), radius = symmetric(spread.radiusChange)
        let gains = (0..<coils).map { _ in
            let (m, p) = (1 + symmetric(spread.gainMagnitude), symmetric(spread.gainPhase))
            return Complex(m * cos(p), m * sin(p))
        }
        let modulation = (0..<coils).map { _ in
            (symmetric(spread.modulationMagnitude), symmetric(spread.modulationMagnitude),
             symmetric(spread.modulationPhase), symmetric(spread.modulationPhase))
        }
        return HeadPlacement(shift: shift, rotation: rotation, radiusChange: radius, gains: gains, modulation: modulation)
    }

    /// Where a loop centred at `(x, y)` on the nominal array sits for this subject.
    public func centre(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        let (c, s) = (cos(rotation), sin(rotation))
        return ((1 + radiusChange) * (c * x - s * y) + shift.x, (1 + radiusChange) * (s * x + c * y) + shift.y)
    }

    /// The factor loop `coil`'s sensitivity takes at `(X, Y)`: its gain times its modulation.
    public func factor(coil: Int, _ x: Double, _ y: Double) -> Complex<Double> {
        let m = modulation[coil]
        let magnitude = exp(m.magnitudeX * x + m.magnitudeY * y), phase = m.phaseX * x + m.phaseY * y
        return gains[coil] * Complex(magnitude * cos(phase), magnitude * sin(phase))
    }

    public static func == (a: HeadPlacement, b: HeadPlacement) -> Bool {
        a.shift == b.shift && a.rotation == b.rotation && a.radiusChange == b.radiusChange && a.gains == b.gains
            && a.modulation.elementsEqual(b.modulation) { $0 == $1 }
    }
}
