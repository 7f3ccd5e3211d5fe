import Foundation
import MRICore
import Numerics
import Testing
import TestSupport

/// The power-of-two normalisation every reconstruction runs under.
@Suite struct IntensityScaleTests {
    static let acquisition = try! Acquisition.uniform(ny: 32, acceleration: 2, acsLines: 8)

    /// The exponent is the rounded log2 of the measured samples' RMS, computed independently;
    /// samples on unmeasured lines do not count.
    @Test func exponentIsTheMeasuredSamplesRMS() throws {
        var k = randomKSpace(coils: 3, ny: 32, nx: 16, seed: 4)
        for scale in [1e-30, 3e-7, 1.0, 5e5, 1e30] {
            var scaled = k
            scaled.data = k.data.map { Complex(Float(Double($0.real) * scale), Float(Double($0.imaginary) * scale)) }
            var sum = 0.0, count = 0
            for c in 0..<3 { for y in 0..<32 where Self.acquisition.mask.acquired[y] { for x in 0..<16 {
                let v = scaled[c, y, x]; sum += Double(v.real) * Double(v.real) + Double(v.imaginary) * Double(v.imaginary); count += 1
            } } }
            let expected = Int(log2((sum / Double(count)).squareRoot()).rounded())
            #expect(IntensityScale(of: scaled, Self.acquisition).exponent == expected, "scale \(scale)")
        }
        let before = IntensityScale(of: k, Self.acquisition)
        for c in 0..<3 { for y in 0..<32 where !Self.acquisition.mask.acquired[y] { for x in 0..<16 { k[c, y, x] = Complex(1e20, 0) } } }
        #expect(IntensityScale(of: k, Self.acquisition) == before)
        #expect(IntensityScale(of: KSpace(zerosCoils: 2, ny: 32, nx: 4), Self.acquisition).exponent == 0)
    }

    /// Normalising and restoring is exact, also where 2^exponent is not a normal float (data
    /// of subnormal size), and normalised data of 2^e·k equal those of k bit for bit.
    @Test func roundTripsAreExact() throws {
        let k = randomKSpace(coils: 2, ny: 32, nx: 8, seed: 5)
        let unit = IntensityScale(of: k, Self.acquisition)
        for e in [-135, -60, 0, 60, 120] {
            var scaled = k
            scaled.data = k.data.map { z in
                Complex(Float(Double(z.real) * pow(2, Double(e))), Float(Double(z.imaginary) * pow(2, Double(e))))
            }
            let scale = IntensityScale(of: scaled, Self.acquisition)
            #expect(scale.exponent == unit.exponent + e, "exponent \(e)")
            #expect(scale.restored(scale.normalized(scaled)) == scaled, "exponent \(e)")
            if e > -126 { #expect(scale.normalized(scaled) == unit.normalized(k), "exponent \(e)") }
        }
        #expect(IntensityScale(exponent: 3).normalizedVariance(128) == 2 && IntensityScale(exponent: 3).restoredVariance(2) == 128)
    }
}
