import Compute
import Foundation
import GRAPPA
import MRICore
import Numerics
import Simulation
import Testing
import TestSupport

@Suite struct GrappaCorrectnessTests {
    /// Relative difference of our output to the direct Double reference, over all samples.
    func relativeError(_ ours: KSpace, _ reference: [Complex<Double>]) -> Double {
        var num = 0.0, den = 0.0
        for (a, b) in zip(ours.data, reference) {
            let d = Complex(Double(a.real), Double(a.imaginary)) - b
            num += d.lengthSquared
            den += b.lengthSquared
        }
        return (num / den).squareRoot()
    }

    /// The pygrappa #82 check and more: for many (R, kernel) pairs, every missing point
    /// (edges included) equals the direct reference, and no missing line is left empty.
    @Test(arguments: [2, 3, 4, 5, 6])
    func everyMissingPointIsFilledAsTheDirectReferenceSays(r: Int) throws {
        let full = try PhantomSimulator(ny: 67, nx: 30, coils: 4, noiseLevel: 0.01, seed: UInt64(r)).simulate().noisy
        for (readout, lines) in [(1, 2), (3, 3), (5, 4), (7, 5)] {
            let geometry = GrappaKernelGeometry(readout: readout, lines: lines)
            let acsLines = max(geometry.minimumACSLines(acceleration: r) + 3, 20)
            let mask = try Acquisition.uniform(ny: 67, acceleration: r, acsLines: acsLines)
            let acquired = full.masked(by: mask.mask)
            let kernel = try Grappa(kernel: geometry, lambda: 1e-3).calibrate(acquired, mask)
            let ours = try kernel.apply(to: acquired, mask)
            let direct = DirectGrappa(geometry: geometry, lambda: 1e-3)
            // Application alone, with our weights: equal up to float rounding, edges included.
            let ourWeights = (0..<kernel.sourceCount).map { i in
                (0..<kernel.targetCount).map { t in
                    let z = kernel.weights[i + t * kernel.sourceCount]
                    return Complex<Double>(Double(z.real), Double(z.imaginary))
                }
            }
            let applied = try direct.apply(acquired, mask: mask.mask, weights: ourWeights)
            let applyError = relativeError(ours, applied)
            #expect(applyError < 1e-5, "R=\(r) kernel \(geometry): application differs by \(applyError)")
            // Calibration in float32 against the Double solve: limited by the conditioning.
            let reference = try direct.reconstruct(acquired, mask: mask.mask)
            let err = relativeError(ours, reference)
            #expect(err < 1e-3, "R=\(r) kernel \(geometry): relative difference \(err)")
            for c in 0..<4 {
                for y in 0..<67 where !mask.mask.acquired[y] {
                    let energy = (0..<30).reduce(Float(0)) { $0 + ours[c, y, $1].lengthSquared }
                    #expect(energy > 0, "R=\(r) kernel \(geometry): line \(y) of coil \(c) left empty")
                }
            }
            // Measured samples are returned bit for bit.
            for c in 0..<4 { for y in 0..<67 where mask.mask.acquired[y] { for x in 0..<30 {
                #expect(ours[c, y, x] == acquired[c, y, x])
            } } }
        }
    }

    @Test func offsetLatticeFromAnExplicitMask() throws {
        let full = try PhantomSimulator(ny: 50, nx: 26, coils: 5, seed: 3).simulate().noisy
        var flags = (0..<50).map { $0 % 3 == 2 }
        for y in 15..<35 { flags[y] = true }
        let mask = SamplingMask(acquired: flags)
        let acquisition = try Acquisition(mask: mask)
        #expect(acquisition.lattice == UndersamplingLattice(acceleration: 3, offset: 2))
        #expect(acquisition.autoCalibrationLines == 14..<36)  // the lattice lines 14 and 35 adjoin the block
        let ours = try Grappa.classic.reconstruct(full.masked(by: mask), acquisition)
        let reference = try DirectGrappa(geometry: .init(), lambda: Grappa.defaultLambda)
            .reconstruct(full.masked(by: mask), mask: mask)
        #expect(relativeError(ours, reference) < 1e-3)
    }

    /// k-space made of a few point sources seen by coils with distinct sensitivities is
    /// exactly predictable by a linear kernel, so GRAPPA must recover it (away from the
    /// zero-padded edges) to the precision the small regularisation allows.
    @Test(arguments: [2, 3, 4])
    func exactRecoveryOfPredictableData(r: Int) throws {
        let coils = 6, ny = 60, nx = 40
        var rng = SeededGenerator(seed: UInt64(10 + r))
        let sources = (0..<3).map { _ in (rng.uniform(), rng.uniform()) }
        let gains = (0..<(coils * 3)).map { _ in Complex(rng.normal(), rng.normal()) }
        var data = [Complex<Float>](repeating: .zero, count: coils * ny * nx)
        for c in 0..<coils { for y in 0..<ny { for x in 0..<nx {
            var z = Complex<Double>.zero
            for (p, (py, px)) in sources.enumerated() {
                let phase = -2 * Double.pi * (Double(y) * py + Double(x) * px)
                z += gains[c * 3 + p] * Complex(cos(phase), sin(phase))
            }
            data[(c * ny + y) * nx + x] = Complex(Float(z.real), Float(z.imaginary))
        } } }
        let truth = try KSpace(coils: coils, ny: ny, nx: nx, data: data)
        let mask = try Acquisition.uniform(ny: ny, acceleration: r, acsLines: 24)
        // The classic 4 × 5 support spans enough to predict three plane waves exactly.
        let out = try Grappa(kernel: GrappaKernelGeometry(), lambda: 1e-5).reconstruct(truth.masked(by: mask.mask), mask)
        var worst: Float = 0, scale: Float = 0
        for y in (2 * r)..<(ny - 3 * r) where !mask.mask.acquired[y] {
            for x in 2..<(nx - 2) {
                for c in 0..<coils {
                    worst = max(worst, (out[c, y, x] - truth[c, y, x]).length)
                    scale = max(scale, truth[c, y, x].length)
                }
            }
        }
        #expect(worst / scale < 2e-3, "R=\(r): worst interior error \(worst / scale) of the peak")
    }

    @Test func choleskyAndQRAgree() throws {
        let full = try PhantomSimulator(ny: 64, nx: 48, coils: 6, seed: 8).simulate().noisy
        let mask = try Acquisition.uniform(ny: 64, acceleration: 3, acsLines: 24)
        let k = full.masked(by: mask.mask)
        let a = try Grappa(solver: .cholesky).reconstruct(k, mask)
        let b = try Grappa(solver: .qr).reconstruct(k, mask)
        let peak = a.data.map(\.length).max()!
        #expect(maxAbsDifference(a.data, b.data) / peak < 1e-4)
    }

    @Test func savedKernelAppliesToAnotherSliceUnchanged() throws {
        let sliceA = try PhantomSimulator(ny: 64, nx: 48, coils: 6, seed: 1).simulate().noisy
        let sliceB = try PhantomSimulator(ny: 64, nx: 48, coils: 6, seed: 2).simulate().noisy
        let mask = try Acquisition.uniform(ny: 64, acceleration: 2, acsLines: 20)
        let kernel = try Grappa().calibrate(sliceA.masked(by: mask.mask), mask)
        let restored = try GrappaKernel(serialized: try kernel.serialized(), source: "memory")
        #expect(restored == kernel)
        let direct = try kernel.apply(to: sliceB.masked(by: mask.mask), mask)
        let viaFile = try restored.apply(to: sliceB.masked(by: mask.mask), mask)
        #expect(direct == viaFile)
        var corrupt = try kernel.serialized()
        corrupt.removeLast(5)
        #expect(throws: MRIError.self) { try GrappaKernel(serialized: corrupt, source: "k.bin") }
        #expect(throws: MRIError.self) { try GrappaKernel(serialized: Array("not a kernel at all".utf8), source: "k.bin") }
    }

    @Test func mismatchesAreRefusedClearly() throws {
        let full = try PhantomSimulator(ny: 64, nx: 32, coils: 4, seed: 1).simulate().noisy
        let mask4 = try Acquisition.uniform(ny: 64, acceleration: 4, acsLines: 10)
        #expect {
            try Grappa.classic.calibrate(full.masked(by: mask4.mask), mask4)
        } throws: { ($0 as? MRIError)?.message.contains("at least 13 lines") == true }
        let mask2 = try Acquisition.uniform(ny: 64, acceleration: 2, acsLines: 16)
        let kernel = try Grappa().calibrate(full.masked(by: mask2.mask), mask2)
        let mask3 = try Acquisition.uniform(ny: 64, acceleration: 3, acsLines: 16)
        #expect { try kernel.apply(to: full, mask3) } throws: { ($0 as? MRIError)?.message.contains("R=2") == true }
        let other = try PhantomSimulator(ny: 64, nx: 32, coils: 3, seed: 1).simulate().noisy
        #expect { try kernel.apply(to: other, mask2) } throws: { ($0 as? MRIError)?.message.contains("4 coils") == true }
        #expect(throws: MRIError.self) { try Grappa(support: .fixed(.init(readout: 4, lines: 4))).calibrate(full, mask2) }
        #expect(throws: MRIError.self) { try Grappa(lambda: .relative(-1)).calibrate(full, mask2) }
    }
}
