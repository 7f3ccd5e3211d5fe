import Foundation
import GRAPPA
import MRICore
import Numerics
import Simulation
import Testing
import TestSupport

/// Virtual conjugate coils: the reflection, the acquisition it allows, kernel files and refusals.
/// (The reconstruction itself is checked against an independent numpy GRAPPA on explicitly
/// reflected coils in python/tests/test_virtual_conjugate.py.)
@Suite struct VirtualConjugateTests {
    @Test func reflectionIsTheConjugateAtMinusK() throws {
        let k = try PhantomSimulator(ny: 10, nx: 9, coils: 2, seed: 3).simulate().noisy
        let v = k.appendingConjugateReflection()
        #expect(v.coils == 4)
        for c in 0..<2 {
            for y in 0..<10 {
                for x in 0..<9 {
                    #expect(v[c, y, x] == k[c, y, x])
                    // DC at (5, 4): −k of index y is 10 − y (outside for y = 0), of x is 8 − x.
                    let expected = y == 0 ? Complex<Float>.zero : k[c, 10 - y, 8 - x].conjugate
                    #expect(v[2 + c, y, x] == expected)
                }
            }
        }
        // A real, even image has a conjugate-symmetric k-space: its reflection is itself.
        var image = CoilImages(coils: 1, ny: 9, nx: 9, data: [Complex<Float>](repeating: .zero, count: 81))
        for y in 0..<9 { for x in 0..<9 { image.data[y * 9 + x] = Complex(Float(1 + abs(y - 4) + 2 * abs(x - 4)), 0) } }
        let symmetric = CenteredFFT.kspace(from: image).appendingConjugateReflection()
        let peak = symmetric.data.map(\.length).max()!
        for i in 0..<81 { #expect((symmetric.data[81 + i] - symmetric.data[i]).length < 1e-5 * peak) }
    }

    @Test func acquisitionNarrowsTheCalibrationBlockToItsReflection() throws {
        // Even block centred at ny/2: one line fewer; an odd block: unchanged.
        let even = try Acquisition.uniform(ny: 64, acceleration: 4, acsLines: 20)
        #expect(even.autoCalibrationLines == 22..<42)
        #expect(try even.conjugateSymmetric().autoCalibrationLines == 23..<42)
        let odd = try Acquisition.uniform(ny: 64, acceleration: 3, acsLines: 21)
        #expect(try odd.conjugateSymmetric().autoCalibrationLines == odd.autoCalibrationLines)
        #expect(try even.conjugateSymmetric().lattice == even.lattice)
        // A lattice that reflects onto another one: R = 4 with offset 1 reflects to offset 3.
        var lines = (0..<64).map { $0 % 4 == 1 }
        for y in 28..<40 { lines[y] = true }
        let shifted = try Acquisition(mask: SamplingMask(acquired: lines))
        #expect(shifted.conjugateSymmetryObstacle?.contains("does not reflect onto itself") == true)
        #expect(throws: MRIError.self) { try shifted.conjugateSymmetric() }
        // Partial Fourier: the crop of the acquired lines is not centred on ky = 0.
        var partial = try SamplingMask.uniform(ny: 64, acceleration: 2, acsLines: 16).acquired
        for y in 0..<16 { partial[y] = false }
        let pf = try Acquisition(mask: SamplingMask(acquired: partial))
        #expect(pf.conjugateSymmetryObstacle == nil)  // the whole matrix: nothing cropped yet
        let cropped = try pf.restricted(to: pf.acquiredRegion)
        #expect(cropped.conjugateSymmetryObstacle?.contains("partial Fourier") == true)
        #expect(even.measuredOnOneSideOfReadout().conjugateSymmetryObstacle?.contains("partial Fourier") == true)
    }

    @Test func kernelFileRecordsVirtualConjugateCoils() throws {
        let full = try PhantomSimulator(ny: 64, nx: 48, coils: 4, seed: 5).simulate().noisy
        let mask = try Acquisition.uniform(ny: 64, acceleration: 3, acsLines: 24)
        var grappa = Grappa(kernel: .init(), lambda: 1e-3)
        grappa.virtualConjugate = .on
        let kernel = try grappa.calibrate(full.masked(by: mask.mask), mask)
        #expect(kernel.virtualConjugate && kernel.sourceCoils == 8 && kernel.coils == 4)
        #expect(kernel.weights.count == 8 * 4 * 5 * 4 * 2)
        let bytes = try kernel.serialized()
        #expect(bytes[8] == 2)  // version 2: a reader of version 1 would misapply it
        let restored = try GrappaKernel(serialized: bytes, source: "memory")
        #expect(restored == kernel)
        let out = try restored.apply(to: full.masked(by: mask.mask), mask)
        #expect(out == (try kernel.apply(to: full.masked(by: mask.mask), mask)))
        // Measured lines as measured; the plain kernel's output differs.
        for c in 0..<4 { for y in 0..<64 where mask.mask.acquired[y] { for x in 0..<48 { #expect(out[c, y, x] == full[c, y, x]) } } }
        grappa.virtualConjugate = .off
        let plain = try grappa.reconstruct(full.masked(by: mask.mask), mask)
        #expect(plain != out)
        #expect(try grappa.calibrate(full.masked(by: mask.mask), mask).serialized()[8] == 1)
        // Applying it where the reflection is not valid is refused.
        let cropped = try mask.restricted(to: 0..<64).measuredOnOneSideOfReadout()
        #expect { try kernel.apply(to: full.masked(by: mask.mask), cropped) } throws: { error in
            (error as? MRIError)?.message.contains("virtual conjugate coils") == true
        }
    }

    @Test func onIsRefusedAndAutomaticFallsBackWhereTheReflectionIsInvalid() throws {
        let full = try PhantomSimulator(ny: 64, nx: 48, coils: 6, seed: 2).simulate().noisy
        let mask = try Acquisition.uniform(ny: 64, acceleration: 2, acsLines: 20).measuredOnOneSideOfReadout()
        var grappa = Grappa()
        grappa.virtualConjugate = .on
        #expect { try grappa.calibrate(full.masked(by: mask.mask), mask) } throws: { error in
            (error as? MRIError)?.setting == .virtualConjugate
        }
        grappa.virtualConjugate = .automatic
        #expect(try grappa.calibrate(full.masked(by: mask.mask), mask).virtualConjugate == false)
        // A fixed support and λ: nothing to compare them by, automatic keeps the physical coils.
        let symmetric = try Acquisition.uniform(ny: 64, acceleration: 2, acsLines: 20)
        let fixed = Grappa(kernel: .init(), lambda: 1e-3)
        #expect(fixed.virtualConjugate == .automatic)
        #expect(try fixed.calibrate(full.masked(by: symmetric.mask), symmetric).virtualConjugate == false)
    }
}
