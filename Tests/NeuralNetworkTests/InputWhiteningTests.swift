import Compute
import MRICore
import NeuralNetwork
import Testing
import TestSupport

@Suite struct InputWhiteningTests {
    /// A layer with weights W' on the whitened input computes exactly what the layer with
    /// the restored weights W = W'·L⁻¹ computes on the raw input (the reparametrisation
    /// changes the training, not the function).
    @Test func restoredWeightsGiveTheSameOutput() throws {
        var rng = SeededGenerator(seed: 3)
        var input = FeatureMap(channels: 6, height: 9, width: 12)
        // Strongly correlated channels: channel c = base + small independent part.
        let base = (0..<(9 * 12)).map { _ in Float(rng.normal()) }
        for c in 0..<6 { for i in 0..<(9 * 12) { input.data[c * 108 + i] = base[i] + 0.05 * Float(c + 1) * Float(rng.normal()) } }
        let layer = Conv2D(inChannels: 6, outChannels: 4, kernelHeight: 2, kernelWidth: 3)
        let columns = layer.columns(of: input, dilation: 2)
        let whitening = try #require(InputWhitening(columns: columns, ridge: 1e-3))
        let whitened = whitening.whiten(columns)
        var parameters = (0..<layer.parameterCount).map { _ in Float(rng.normal()) }
        let onWhitened = parameters.withUnsafeBufferPointer { layer.forward(whitened, parameters: $0.baseAddress!) }
        parameters.withUnsafeMutableBufferPointer { whitening.restore(weights: $0.baseAddress!, rows: 4) }
        let onRaw = parameters.withUnsafeBufferPointer { layer.forward(input, dilation: 2, parameters: $0.baseAddress!) }
        var worst: Float = 0, scale: Float = 0
        for c in 0..<4 { for y in 0..<onRaw.height { for x in 0..<onRaw.validWidth {
            worst = max(worst, abs(onRaw[c, y, x] - onWhitened[c, y, x]))
            scale = max(scale, abs(onRaw[c, y, x]))
        } } }
        #expect(worst <= 1e-3 * scale, "largest difference \(worst) of \(scale)")
    }

    /// With a tiny ridge the whitened rows are uncorrelated with equal variance (the
    /// input's mean square): their Gram matrix, computed here directly, is nearly diagonal.
    @Test func whitenedInputIsIsotropic() throws {
        var rng = SeededGenerator(seed: 4)
        var input = FeatureMap(channels: 3, height: 20, width: 30)
        let base = (0..<600).map { _ in Float(rng.normal()) }
        for c in 0..<3 { for i in 0..<600 { input.data[c * 600 + i] = base[i] * Float(c + 1) + 0.1 * Float(rng.normal()) } }
        let layer = Conv2D(inChannels: 3, outChannels: 2, kernelHeight: 1, kernelWidth: 2)
        let whitening = try #require(InputWhitening(columns: layer.columns(of: input, dilation: 1), ridge: 1e-6))
        // Read the whitened rows back through a layer with unit weights for one row at a time.
        let whitened = whitening.whiten(layer.columns(of: input, dilation: 1))
        let rows = 6
        var values: [[Float]] = []
        for r in 0..<rows {
            var unit = [Float](repeating: 0, count: layer.parameterCount)
            unit[r] = 1  // output channel 0 reads row r
            let out = unit.withUnsafeBufferPointer { layer.forward(whitened, parameters: $0.baseAddress!) }
            values.append((0..<out.height).flatMap { y in (0..<out.validWidth).map { out[0, y, $0] } })
        }
        let n = Float(values[0].count)
        let diagonal = (0..<rows).map { r in values[r].reduce(0) { $0 + $1 * $1 } / n }
        for a in 0..<rows {
            #expect(abs(diagonal[a] / diagonal[0] - 1) < 0.05, "row \(a) variance \(diagonal[a]) vs \(diagonal[0])")
            for b in 0..<a {
                let off = zip(values[a], values[b]).reduce(0) { $0 + $1.0 * $1.1 } / n
                #expect(abs(off) < 0.05 * diagonal[0], "rows \(a), \(b): \(off)")
            }
        }
    }
}
