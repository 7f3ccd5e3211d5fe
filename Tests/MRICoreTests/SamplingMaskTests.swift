import MRICore
import Testing

@Suite struct SamplingMaskTests {
    @Test func uniformMaskFollowsTheContract() throws {
        for (ny, r, n) in [(288, 4, 32), (96, 3, 24), (257, 5, 17), (64, 2, 1)] {
            let mask = try SamplingMask.uniform(ny: ny, acceleration: r, acsLines: n)
            let a0 = ny / 2 - n / 2
            for y in 0..<ny {
                let expected = (y - ny / 2) % r == 0 || (a0..<(a0 + n)).contains(y)
                #expect(mask.acquired[y] == expected, "ny \(ny) R \(r) ACS \(n) line \(y)")
            }
            let lattice = try mask.lattice()
            #expect(lattice.acceleration == r)
            #expect(lattice.contains(ny / 2))
            if n > r { #expect(mask.autoCalibrationRegion()!.contains(a0) && mask.autoCalibrationRegion()!.count >= n) }
        }
    }

    @Test func badSettingsAreRefused() {
        #expect(throws: MRIError.self) { try SamplingMask.uniform(ny: 64, acceleration: 1, acsLines: 8) }
        #expect(throws: MRIError.self) { try SamplingMask.uniform(ny: 64, acceleration: 33, acsLines: 8) }
        #expect(throws: MRIError.self) { try SamplingMask.uniform(ny: 64, acceleration: 4, acsLines: 0) }
        #expect(throws: MRIError.self) { try SamplingMask.uniform(ny: 64, acceleration: 4, acsLines: 65) }
    }

    @Test func latticeWithOffsetIsDetected() throws {
        var flags = (0..<50).map { $0 % 3 == 1 }
        for y in 20..<32 { flags[y] = true }
        let lattice = try SamplingMask(acquired: flags).lattice()
        #expect(lattice == UndersamplingLattice(acceleration: 3, offset: 1))
    }

    @Test func nonUniformMaskIsRefusedNamingTheLine() {
        var flags = (0..<64).map { $0 % 4 == 0 }
        for y in 28..<36 { flags[y] = true }
        flags[9] = true  // a stray line
        #expect {
            try SamplingMask(acquired: flags).lattice()
        } throws: { error in
            (error as? MRIError)?.message.contains("line 9") == true
        }
        var missing = (0..<64).map { $0 % 4 == 0 }
        for y in 28..<36 { missing[y] = true }
        missing[48] = false
        #expect {
            try SamplingMask(acquired: missing).lattice()
        } throws: { error in
            (error as? MRIError)?.message.contains("line 48") == true
        }
    }

    /// Every line off the lattice has its base (the acquired line before it) in
    /// `baseIndices`, and every base there has a line after it inside the matrix.
    @Test func baseIndicesCoverEveryMissingLineAndNothingMore() {
        for ny in [7, 16, 67, 96] {
            for r in 2...6 where r <= ny / 2 {
                for s in 0..<r {
                    let lattice = UndersamplingLattice(acceleration: r, offset: s)
                    let bases = lattice.baseIndices(ny: ny)
                    for y in 0..<ny where !lattice.contains(y) {
                        let m = ((y - s) % r + r) % r
                        #expect(bases.contains((y - m - s) / r), "ny \(ny) R \(r) s \(s) line \(y)")
                    }
                    for l in bases {
                        #expect((1..<r).contains { s + r * l + $0 >= 0 && s + r * l + $0 < ny }, "ny \(ny) R \(r) s \(s) base \(l)")
                    }
                }
            }
        }
    }

    @Test func fullySampledMaskHasAccelerationOne() throws {
        #expect(try SamplingMask(acquired: Array(repeating: true, count: 16)).lattice().acceleration == 1)
    }

    /// A run of at least R never-acquired lines at one edge is partial Fourier: the lattice
    /// holds on the rest, and the region says which lines were covered. Shorter runs (the
    /// lattice's own offset) are not.
    @Test func partialFourierEdgesAreAcquiredRegions() throws {
        var flags = try SamplingMask.uniform(ny: 64, acceleration: 2, acsLines: 16).acquired
        for y in 0..<16 { flags[y] = false }
        let leading = SamplingMask(acquired: flags)
        #expect(try leading.lattice() == UndersamplingLattice(acceleration: 2, offset: 0))
        #expect(leading.acquiredRegion(acceleration: 2) == 16..<64)
        #expect(try Acquisition(mask: leading).acquiredRegion == 16..<64)
        #expect(leading.summary.contains("partial Fourier: lines [16, 64) of 64 acquired"))
        var trailing = try SamplingMask.uniform(ny: 64, acceleration: 3, acsLines: 12).acquired
        for y in 50..<64 { trailing[y] = false }
        #expect(SamplingMask(acquired: trailing).acquiredRegion(acceleration: 3) == 0..<48)  // the last lattice line kept is 47
        // R = 4 with offset 2: lines 0 and 1 unacquired, not partial Fourier.
        let offset = try SamplingMask.uniform(ny: 66, acceleration: 4, acsLines: 8)
        #expect(offset.acquiredRegion(acceleration: 4) == 0..<66)
        // A gap inside the region is still refused, naming the line.
        flags[40] = false
        #expect(throws: MRIError.self) { try SamplingMask(acquired: flags).lattice() }
        // The cropped acquisition is the same pattern renumbered from 0.
        let cropped = try Acquisition(mask: leading).restricted(to: 16..<64)
        #expect(cropped.ny == 48 && cropped.acceleration == 2 && cropped.acquiredRegion == 0..<48)
        #expect(cropped.autoCalibrationLines == (try Acquisition(mask: leading)).autoCalibrationLines.lowerBound - 16
                    ..< (try Acquisition(mask: leading)).autoCalibrationLines.upperBound - 16)
    }
}
