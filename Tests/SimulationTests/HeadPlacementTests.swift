import Foundation
import MRICore
import Numerics
import Simulation
import Testing

/// The subject model of the simulated head array: the nominal placement changes nothing, a
/// shift by whole pixels translates every loop's map, a gain scales it, a modulation follows
/// its exponent, the pose moves the loop centres as a rigid rotation, scaling and shift, and
/// random draws stay within their spread and repeat for a seed.
@Suite struct HeadPlacementTests {
    let n = 32
    // The paper array: every ring off the slice plane, so no loop sits on a pixel.
    let array = (centres: PaperCoilArray.centres, perRing: 8)

    @Test func nominalPlacementLeavesTheMapsUnchanged() {
        let plain = PaperCoilArray.maps(n, centres: array.centres, perRing: array.perRing)
        let placed = PaperCoilArray.maps(n, centres: array.centres, perRing: array.perRing, placement: .nominal(coils: 32))
        #expect(plain == placed)
    }

    /// Two pixels along x is 4/n half-FOV units: each moved map is the nominal one two
    /// columns further on, up to the common normalisation.
    @Test func aWholePixelShiftTranslatesEveryMap() {
        var placement = HeadPlacement.nominal(coils: 32)
        placement.shift = (4 / Double(n), 0)
        let plain = PaperCoilArray.maps(n, centres: array.centres, perRing: array.perRing)
        let moved = PaperCoilArray.maps(n, centres: array.centres, perRing: array.perRing, placement: placement)
        let scale = moved[0 * n + 2].length / plain[0].length
        for c in 0..<32 {
            for y in 0..<n {
                for x in 0..<(n - 2) {
                    let a = plain[(c * n + y) * n + x], b = moved[(c * n + y) * n + x + 2]
                    #expect((b - a * Complex(scale, 0)).length <= 1e-4 * max(a.length * scale, 1e-3), "coil \(c), (\(y), \(x))")
                }
            }
        }
    }

    @Test func gainsAndModulationScaleTheMapsAsDefined() {
        var placement = HeadPlacement.nominal(coils: 32)
        placement.gains[3] = Complex(0.9 * cos(0.2), 0.9 * sin(0.2))
        placement.modulation[5] = (magnitudeX: 0.1, magnitudeY: 0, phaseX: 0, phaseY: 0.25)
        let plain = PaperCoilArray.maps(n, centres: array.centres, perRing: array.perRing)
        let placed = PaperCoilArray.maps(n, centres: array.centres, perRing: array.perRing, placement: placement)
        for y in 0..<n {
            for x in 0..<n {
                let (X, Y) = (Double(x - n / 2) / Double(n / 2), Double(y - n / 2) / Double(n / 2))
                let i = y * n + x
                let gain = placed[3 * n * n + i] / plain[3 * n * n + i]
                #expect(abs(Double(gain.length) - 0.9) < 1e-4 && abs(Double(gain.phase) - 0.2) < 1e-4)
                let m = placed[5 * n * n + i] / plain[5 * n * n + i]
                #expect(abs(Double(m.length) - exp(0.1 * X)) < 1e-4 && abs(Double(m.phase) - 0.25 * Y) < 1e-4)
                #expect(placed[i] == plain[i])
            }
        }
    }

    @Test func thePoseRotatesScalesAndShiftsTheLoopCentres() {
        var placement = HeadPlacement.nominal(coils: 1)
        (placement.rotation, placement.radiusChange, placement.shift) = (Double.pi / 2, 0.04, (0.05, -0.02))
        let c = placement.centre(1, 0)
        #expect(abs(c.x - 0.05) < 1e-12 && abs(c.y - (1.04 - 0.02)) < 1e-12)
        let d = placement.centre(0, -0.5)
        #expect(abs(d.x - (0.52 + 0.05)) < 1e-12 && abs(d.y - (-0.02)) < 1e-12)
    }

    @Test func randomPlacementsStayWithinTheirSpreadAndRepeat() {
        let spread = HeadPlacement.Spread()
        var distinct = Set<Double>()
        for seed in 0..<50 as Range<UInt64> {
            let p = HeadPlacement.random(coils: 32, seed: seed)
            #expect(p == HeadPlacement.random(coils: 32, seed: seed))
            #expect(abs(p.shift.x) <= spread.shift && abs(p.shift.y) <= spread.shift)
            #expect(abs(p.rotation) <= spread.rotation && abs(p.radiusChange) <= spread.radiusChange)
            #expect(p.gains.allSatisfy { abs($0.length - 1) <= spread.gainMagnitude + 1e-12 && abs($0.phase) <= spread.gainPhase + 1e-12 })
            #expect(p.modulation.allSatisfy { max(abs($0.magnitudeX), abs($0.magnitudeY)) <= spread.modulationMagnitude
                && max(abs($0.phaseX), abs($0.phaseY)) <= spread.modulationPhase })
            distinct.insert(p.rotation)
        }
        #expect(distinct.count == 50)
        // The draws use the spread: the largest shift drawn comes near its bound.
        let largest = (0..<50 as Range<UInt64>).map { abs(HeadPlacement.random(coils: 32, seed: $0).shift.x) }.max()!
        #expect(largest > 0.8 * spread.shift)
    }
}
