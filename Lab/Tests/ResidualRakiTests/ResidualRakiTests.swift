import Compute
import GRAPPA
import KSpaceLattice
import MRICore
import NeuralNetwork
import RAKI
@testable import ResidualRaki
import Simulation
import Testing

/// Residual RAKI's weight α and its held-out gain against their closed forms, and the
/// reconstruction against its parts.
@Suite struct ResidualRakiTests {
    @Test func shrinkageIsTheClippedLeastSquaresWeight() throws {
        let k = try PhantomSimulator(ny: 48, nx: 40, coils: 4, seed: 3).simulate().noisy
        let acquisition = try Acquisition.uniform(ny: 48, acceleration: 2, acsLines: 16)
        var options = Raki.Options()
        options.iterations = 5
        let network = try Raki(options: options).train(k.masked(by: acquisition.mask), acquisition).network
        let (input, target) = LatticeLineGeometry.acsPairs(k, acs: acquisition.autoCalibrationLines, acceleration: 2, scale: 1)
        let prediction = network.predict(input, dilation: 2), offsets = network.zeroResponse()
        let heldOut = (0..<target.validWidth).map(ResidualRaki.heldOut)
        #expect(heldOut.filter { $0 }.count > 0 && heldOut.filter { !$0 }.count > 0)
        func scaled(_ factor: Float) -> FeatureMap {
            var t = target
            for c in 0..<t.channels { for y in 0..<t.height { for x in 0..<t.validWidth {
                t[c, y, x] = factor * (prediction[c, y, x] - offsets[c])
            } } }
            return t
        }
        // The target is 0.5 × the CNN's answer: α = 0.5 and the held-out error vanishes.
        let half = ResidualRaki.shrinkage(network, input: input, target: scaled(0.5), heldOut: heldOut, acceleration: 2)
        #expect(abs(half.0 - 0.5) < 1e-4 && abs(half.1 - 1) < 1e-6, "\(half)")
        // Opposite sign: clipped to 0, no gain. Twice as large: clipped to 1, gain 1 − (1/2)² · … = 3/4.
        let opposite = ResidualRaki.shrinkage(network, input: input, target: scaled(-1), heldOut: heldOut, acceleration: 2)
        #expect(opposite.0 == 0 && opposite.1 == 0, "\(opposite)")
        let double = ResidualRaki.shrinkage(network, input: input, target: scaled(2), heldOut: heldOut, acceleration: 2)
        #expect(double.0 == 1 && abs(double.1 - 0.75) < 1e-6, "\(double)")
    }

    @Test(arguments: [false, true])
    func reconstructionIsTheBranchPlusTheWeightedResidual(crossFitted: Bool) throws {
        let k = try PhantomSimulator(ny: 48, nx: 40, coils: 4, seed: 4).simulate().noisy
        let acquisition = try Acquisition.uniform(ny: 48, acceleration: 3, acsLines: 16)
        var options = Raki.Options()
        options.iterations = 30
        let acquired = k.masked(by: acquisition.mask)
        var residualRaki = ResidualRaki(linear: Grappa(kernel: GrappaKernelGeometry(readout: 5, lines: 2), lambda: 1e-4),
                                        raki: Raki(options: options))
        residualRaki.crossFitted = crossFitted
        let result = try residualRaki.reconstruct(acquired, acquisition)
        let grappa = try residualRaki.linear.reconstruct(acquired, acquisition)
        #expect(result.kernel == (try residualRaki.linear.calibrate(acquired, acquisition)))
        #expect((0...1).contains(result.shrinkage))
        for c in 0..<4 { for y in 0..<48 where acquisition.mask.acquired[y] { for x in 0..<40 {
            #expect(result.kspace[c, y, x] == acquired[c, y, x])
        } } }
        if result.shrinkage == 0 { #expect(result.kspace == grappa) }
    }
}
