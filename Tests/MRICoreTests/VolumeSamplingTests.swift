import Compute
import MRICore
import Testing

@Suite struct VolumeSamplingTests {
    /// The contract's sampling, found again from its mask: the lattice samples exactly the
    /// positions the index formula names, and the box is the centred one (or larger where
    /// whole lattice rows or columns border it).
    @Test(arguments: [(2, 2, 0), (2, 2, 1), (3, 2, 1), (3, 2, 2), (4, 1, 0), (2, 3, 1)])
    func uniformSamplingIsFoundAgain(ry: Int, rz: Int, shift: Int) throws {
        for (nz, ny) in [(24, 32), (25, 31)] {
            let a = try VolumeAcquisition.uniform(partitions: nz, lines: ny, lineAcceleration: ry, partitionAcceleration: rz,
                                                  shift: shift, calibration: (partitions: 8, lines: 10))
            #expect(a.lattice.lineAcceleration == ry && a.lattice.partitionAcceleration == rz && a.lattice.shift == shift % ry)
            let oz = (nz / 2) % rz
            for z in 0..<nz {
                for y in 0..<ny {
                    let step = (z - oz) >= 0 ? (z - oz) / rz : -((oz - z + rz - 1) / rz)
                    let expected = (z - oz) % rz == 0 && ((y - ny / 2 - shift * (step - (nz / 2 - oz) / rz)) % ry + ry) % ry == 0
                    #expect(a.lattice.contains(z: z, y: y) == expected, "\(ry)×\(rz) shift \(shift) at (\(z), \(y))")
                }
            }
            #expect(a.lattice.contains(z: nz / 2, y: ny / 2))
            #expect(a.calibrationPartitions.contains(nz / 2 - 4) && a.calibrationPartitions.contains(nz / 2 + 3))
            #expect(a.calibrationLines.contains(ny / 2 - 5) && a.calibrationLines.contains(ny / 2 + 4))
            for z in a.calibrationPartitions { for y in a.calibrationLines { #expect(a.isAcquired(z: z, y: y)) } }
        }
    }

    @Test func samplingsThatAreNotALatticeAreRefused() throws {
        let good = try VolumeAcquisition.uniform(partitions: 16, lines: 16, lineAcceleration: 2, partitionAcceleration: 2,
                                                 calibration: (partitions: 6, lines: 6))
        var holed = good.acquired
        holed[0] = false  // (0, 0) is on the lattice
        #expect(throws: MRIError.self) { try VolumeAcquisition(acquired: holed, partitions: 16, lines: 16) }
        var extra = good.acquired
        extra[1] = true  // (0, 1) is not
        #expect(throws: MRIError.self) { try VolumeAcquisition(acquired: extra, partitions: 16, lines: 16) }
        #expect(throws: MRIError.self) { try VolumeAcquisition(acquired: [Bool](repeating: true, count: 256), partitions: 16, lines: 16) }
        #expect(throws: MRIError.self) { try VolumeAcquisition(acquired: good.acquired, partitions: 15, lines: 16) }
    }

    /// Random (kz, ky) masks — near-lattices with holes and extra lines, and noise — are
    /// either refused with an MRIError or found to be what they are: never a crash, and an
    /// accepted mask is exactly its lattice plus its box.
    @Test func randomMasksAreRefusedOrDescribedExactly() throws {
        var rng = SeededGenerator(seed: 31)
        var accepted = 0
        for _ in 0..<400 {
            let (nz, ny) = (Int.random(in: 1...20, using: &rng), Int.random(in: 1...24, using: &rng))
            var acquired = (0..<(nz * ny)).map { _ in Bool.random(using: &rng) }
            if Bool.random(using: &rng) {
                let (ry, rz, shift) = (Int.random(in: 1...3, using: &rng), Int.random(in: 1...3, using: &rng), Int.random(in: 0...2, using: &rng))
                let box = (Int.random(in: 1...8, using: &rng), Int.random(in: 1...8, using: &rng))
                if let near = try? VolumeAcquisition.uniform(partitions: nz, lines: ny, lineAcceleration: ry, partitionAcceleration: rz,
                                                             shift: shift, calibration: box) {
                    acquired = near.acquired
                    if Bool.random(using: &rng) { acquired[Int.random(in: 0..<acquired.count, using: &rng)].toggle() }
                }
            }
            do {
                let a = try VolumeAcquisition(acquired: acquired, partitions: nz, lines: ny)
                accepted += 1
                for z in 0..<nz {
                    for y in 0..<ny {
                        let inBox = a.calibrationPartitions.contains(z) && a.calibrationLines.contains(y)
                        #expect(a.isAcquired(z: z, y: y) == (a.lattice.contains(z: z, y: y) || inBox))
                    }
                }
            } catch is MRIError {}
        }
        #expect(accepted > 20)
    }
}
