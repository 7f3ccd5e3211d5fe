import Compute
import MRICore
import NeuralNetwork
import Testing

@Suite struct ConvolutionTests {
    /// The shift-GEMM forward pass against the definition, written as plain loops.
    @Test(arguments: [(2, 5, 4), (1, 1, 1), (3, 3, 2)])
    func forwardMatchesTheDefinition(kh: Int, kw: Int, dilation: Int) {
        let conv = Conv2D(inChannels: 3, outChannels: 2, kernelHeight: kh, kernelWidth: kw)
        var rng = SeededGenerator(seed: 9)
        let params = (0..<conv.parameterCount).map { _ in Float(rng.normal()) }
        let input = randomMap(3, 14, 10, seed: 3)
        let out = params.withUnsafeBufferPointer { conv.forward(input, dilation: dilation, parameters: $0.baseAddress!) }
        #expect(out.height == 14 - (kh - 1) * dilation && out.validWidth == 10 - kw + 1)
        for o in 0..<2 {
            for y in 0..<out.height {
                for x in 0..<out.validWidth {
                    var s = Double(params[kh * kw * 6 + o])
                    for i in 0..<kh { for j in 0..<kw { for c in 0..<3 {
                        s += Double(params[((o * kh + i) * kw + j) * 3 + c]) * Double(input[c, y + i * dilation, x + j])
                    } } }
                    #expect(abs(Double(out[o, y, x]) - s) < 1e-4)
                }
            }
        }
    }

    /// Training runs multi-tap layers on unfolded ("im2col") inputs; it must give the
    /// outputs of the per-tap path (`predict`), and the same gradients whether the first
    /// layer's unfolding is passed in or made inside.
    @Test func unfoldedInputMatchesPerTapPath() {
        let layers: [ConvNet.Layer] = [
            .init(Conv2D(inChannels: 3, outChannels: 5, kernelHeight: 2, kernelWidth: 5), .relu),
            .init(Conv2D(inChannels: 5, outChannels: 4, kernelHeight: 2, kernelWidth: 3), .identity),
        ]
        var a = ConvNet(layers: layers, seed: 3)
        var b = a
        let input = randomMap(3, 13, 17, seed: 4)
        let columns = layers[0].convolution.columns(of: input, dilation: 3)
        let ya = a.forward(input, dilation: 3)
        let yb = b.forward(input, dilation: 3, firstLayerColumns: columns)
        let yp = a.predict(input, dilation: 3)
        var worst: Float = 0
        for c in 0..<ya.channels { for y in 0..<ya.height { for x in 0..<ya.validWidth {
            worst = max(worst, abs(ya[c, y, x] - yp[c, y, x]), abs(yb[c, y, x] - yp[c, y, x]))
        } } }
        #expect(worst < 1e-5)
        let target = randomMap(ya.channels, ya.height, ya.width, seed: 5, validWidth: ya.validWidth)
        a.backward(outputGradient: MeanSquaredError.evaluate(prediction: ya, target: target).gradient)
        b.backward(outputGradient: MeanSquaredError.evaluate(prediction: yb, target: target).gradient)
        #expect(zip(a.gradient, b.gradient).allSatisfy { abs($0 - $1) < 1e-4 * max(1, abs($0)) })
    }

    @Test func sameSeedSameInitialWeights() {
        let layers: [ConvNet.Layer] = [.init(Conv2D(inChannels: 2, outChannels: 3, kernelHeight: 2, kernelWidth: 3), .relu)]
        #expect(ConvNet(layers: layers, seed: 5).parameters == ConvNet(layers: layers, seed: 5).parameters)
        #expect(ConvNet(layers: layers, seed: 5).parameters != ConvNet(layers: layers, seed: 6).parameters)
    }
}
