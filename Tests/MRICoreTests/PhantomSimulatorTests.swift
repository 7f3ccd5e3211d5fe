import MRICore
import Numerics
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

    @Test func badSizesAreRefused() {
        #expect(throws: MRIError.self) { try PhantomSimulator(ny: 4, nx: 64).simulate() }
        #expect(throws: MRIError.self) { try PhantomSimulator(coils: 0).simulate() }
        #expect(throws: MRIError.self) { try PhantomSimulator(noiseLevel: -1).simulate() }
    }
}
