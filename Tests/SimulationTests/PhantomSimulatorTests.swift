import Foundation
import MRICore
import Numerics
import Simulation
import Testing
import TestSupport

@Suite struct PhantomSimulatorTests {
    @Test func sameSeedSameData() throws {
        let a = try PhantomSimulator(ny: 48, nx: 40, coils: 4, seed: 9).simulate()
        let b = try PhantomSimulator(ny: 48, nx: 40, coils: 4, seed: 9).simulate()
        let c = try PhantomSimulator(ny: 48, nx: 40, coils: 4, seed: 10).simulate()
        #expect(a.noisy == b.noisy)
        #expect(a.noisy != c.noisy)
        #expect(a.noisy.shape == [4, 48, 40])
    }

    @Test func noiseHasTheRequestedLevelAndCorrelation() throws {
        let sim = PhantomSimulator(ny: 64, nx: 64, coils: 8, noiseLevel: 0.01, noiseCorrelation: 0.25, seed: 1)
        let out = try sim.simulate()
        let maxK = out.noisy.data.map(\.length).max()!
        #expect(abs(maxK - 1) < 1e-6)
        // Noise = noisy − clean; per-coil variance is σ²(1 + ρ) and neighbours correlate.
        let n = 64 * 64
        let noise = zip(out.noisy.data, out.clean.data).map { $0 - $1 }
        func covariance(_ i: Int, _ j: Int) -> Double {
            (0..<n).reduce(0.0) { acc, p in
                let a = noise[i * n + p], b = noise[j * n + p]
                return acc + Double((a * b.conjugate).real)
            } / Double(n)
        }
        let v0 = covariance(0, 0), v1 = covariance(1, 1)
        #expect(abs(v0 - v1) / v0 < 0.1)
        let corrNeighbour = covariance(0, 1) / v0
        #expect(corrNeighbour > 0.05 && corrNeighbour < 0.3)
        // Signal dominates noise: the clean data hold most of the energy.
        let signal = out.clean.data.reduce(0.0) { $0 + Double($1.lengthSquared) }
        #expect(signal / (v0 * Double(8 * n)) > 10)
    }

    @Test func badSizesAreRefused() throws {
        #expect(throws: MRIError.self) { try PhantomSimulator(ny: 4, nx: 64).simulate() }
        #expect(throws: MRIError.self) { try PhantomSimulator(coils: 0).simulate() }
        #expect(throws: MRIError.self) { try PhantomSimulator(noiseLevel: -1).simulate() }
        var paper = PhantomSimulator(ny: 64, nx: 64, coils: 8)
        paper.array = .paper
        #expect(throws: MRIError.self) { try paper.simulate() }
        paper.coils = 32
        #expect(try paper.simulate().noisy.shape == [32, 64, 64])
        paper.objectScale = 0
        #expect(throws: MRIError.self) { try paper.simulate() }
    }

    /// The paper array's maps follow make_sim.py: coil 0 sits at (x, y) = (1, 0) on ring
    /// z = −0.3, so its magnitude peaks on the right edge of the middle row and is
    /// 1/(d² + 0.09) relative to that peak elsewhere.
    @Test func paperArrayMapsFollowMakeSim() {
        let n = 32
        let maps = PaperCoilArray.maps(n)
        #expect(maps.count == 32 * n * n)
        func magnitude(_ c: Int, _ y: Int, _ x: Int) -> Double { Double(maps[(c * n + y) * n + x].length) }
        let peak = (0..<(32 * n * n)).map { Double(maps[$0].length) }.max()!
        #expect(abs(peak - 1) < 1e-6)
        // Ratio between the map at the centre and at the right edge of the middle row, coil 0.
        let d2Edge = pow(Double(n - 1 - n / 2) / Double(n / 2) - 1, 2) + 0.09, d2Centre = 1 + 0.09
        #expect(abs(magnitude(0, n / 2, n / 2) / magnitude(0, n / 2, n - 1) - d2Edge / d2Centre) < 1e-4)
        #expect(PaperCoilArray.centres.count == 32 && PaperCoilArray.centres[8].2 == -0.1)
    }
}
