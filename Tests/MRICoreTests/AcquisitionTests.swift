import MRICore
import Testing
import TestSupport

@Suite struct AcquisitionTests {
    @Test func uniformAcquisitionCarriesItsLatticeAndBlock() throws {
        let a = try Acquisition.uniform(ny: 96, acceleration: 3, acsLines: 24)
        #expect(a.mask == (try SamplingMask.uniform(ny: 96, acceleration: 3, acsLines: 24)))
        #expect(a.lattice == UndersamplingLattice(acceleration: 3, offset: 0))
        // Block [36, 60); lattice lines 36 and 60 are measured too, 60 adjoins the block.
        #expect(a.autoCalibrationLines == 36..<61)
        #expect(a.keptLines == a.mask && a.acceleration == 3 && a.ny == 96)
    }

    @Test func fullySampledAndIrregularMasksAreRefused() {
        #expect { try Acquisition(mask: SamplingMask(acquired: Array(repeating: true, count: 32))) } throws: {
            ($0 as? MRIError)?.message.contains("fully sampled") == true
        }
        var flags = (0..<40).map { $0 % 4 == 0 }
        for y in 18..<24 { flags[y] = true }
        flags[14] = true  // neither on the lattice nor in the block
        #expect(throws: MRIError.self) { try Acquisition(mask: SamplingMask(acquired: flags)) }
        #expect { try Acquisition.uniform(ny: 64, acceleration: 1, acsLines: 8) } throws: { ($0 as? MRIError)?.setting == .acceleration }
        #expect { try Acquisition.uniform(ny: 64, acceleration: 4, acsLines: 65) } throws: { ($0 as? MRIError)?.setting == .acsLines }
    }

    @Test func estimatingTheACSKeepsOnlyTheLattice() throws {
        let a = try Acquisition.uniform(ny: 64, acceleration: 4, acsLines: 16).estimatingAutoCalibrationLines()
        for y in 0..<64 { #expect(a.keptLines.acquired[y] == (y % 4 == 0), "line \(y)") }
        #expect(a.autoCalibrationLines.count >= 16)  // calibration still reads the whole block
    }

    @Test func restoringKeptLinesCopiesThoseLinesOnly() throws {
        let a = try Acquisition.uniform(ny: 20, acceleration: 2, acsLines: 4)
        let measured = randomKSpace(coils: 3, ny: 20, nx: 5, seed: 1)
        var k = randomKSpace(coils: 3, ny: 20, nx: 5, seed: 2)
        let before = k
        a.restoreKeptLines(of: measured, into: &k)
        for c in 0..<3 { for y in 0..<20 { for x in 0..<5 {
            #expect(k[c, y, x] == (a.mask.acquired[y] ? measured : before)[c, y, x])
        } } }
    }

    @Test func wrongLineCountIsRefused() throws {
        let a = try Acquisition.uniform(ny: 20, acceleration: 2, acsLines: 4)
        #expect(throws: MRIError.self) { try a.requireLines(of: randomKSpace(coils: 2, ny: 22, nx: 4, seed: 1)) }
    }
}
