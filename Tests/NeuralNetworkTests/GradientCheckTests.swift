import Compute
import MRICore
import NeuralNetwork
import Testing

/// Central finite differences of the loss against the hand-written backward passes.
struct GradientChecker {
    var network: ConvNet
    let input: FeatureMap
    let target: FeatureMap
    let dilation: Int

    func loss(_ parameters: [Float]) -> Double {
        var net = network
        net.parameters = parameters
        let p = net.predict(input, dilation: dilation)
        return Double(MeanSquaredError.evaluate(prediction: p, target: target).loss)
    }

    /// The analytic gradient.
    mutating func analytic() -> [Float] {
        let p = network.forward(input, dilation: dilation)
        network.backward(outputGradient: MeanSquaredError.evaluate(prediction: p, target: target).gradient)
        return network.gradient
    }

    /// ‖g − g_fd‖ / ‖g_fd‖ over all parameters, with step `h`.
    func relativeError(of gradient: [Float], h: Float = 1e-2) -> Double {
        var num = 0.0, den = 0.0
        let base = network.parameters
        for i in 0..<base.count {
            var plus = base, minus = base
            plus[i] += h
            minus[i] -= h
            let fd = (loss(plus) - loss(minus)) / Double(2 * h)
            num += (Double(gradient[i]) - fd) * (Double(gradient[i]) - fd)
            den += fd * fd
        }
        return (num / den).squareRoot()
    }
}

func randomMap(_ c: Int, _ h: Int, _ w: Int, seed: UInt64, validWidth: Int? = nil) -> FeatureMap {
    var rng = SeededGenerator(seed: seed)
    var m = FeatureMap(channels: c, height: h, width: w, validWidth: validWidth)
    for i in 0..<m.count { m.data[i] = Float(rng.normal()) }
    return m
}

@Suite struct GradientCheckTests {
    /// A network with random, non-zero biases: with the initial zero biases a layer whose
    /// inputs are all zero (every ReLU before it off) has pre-activations exactly at the
    /// kink, where ReLU's slope is a convention (0 here, as in PyTorch) and finite
    /// differences give ½.
    func checker(_ layers: [ConvNet.Layer], height: Int, width: Int, dilation: Int, seed: UInt64) -> GradientChecker {
        var net = ConvNet(layers: layers, seed: seed)
        var rng = SeededGenerator(seed: seed + 100)
        for (l, offset) in zip(layers, net.offsets) {
            let c = l.convolution
            for i in (offset + c.parameterCount - c.outChannels)..<(offset + c.parameterCount) {
                net.parameters[i] = Float(0.1 * rng.normal())
            }
        }
        let input = randomMap(layers[0].convolution.inChannels, height, width, seed: seed + 1)
        let out = net.predict(input, dilation: dilation)
        let target = randomMap(out.channels, out.height, out.width, seed: seed + 2, validWidth: out.validWidth)
        return GradientChecker(network: net, input: input, target: target, dilation: dilation)
    }

    @Test(arguments: [(1, 1, 1), (2, 3, 1), (2, 5, 3), (3, 2, 2)])
    func singleConvolution(kh: Int, kw: Int, dilation: Int) {
        var c = checker([.init(Conv2D(inChannels: 3, outChannels: 4, kernelHeight: kh, kernelWidth: kw), .identity)],
                        height: 9, width: 11, dilation: dilation, seed: UInt64(kh * 10 + kw))
        let g = c.analytic()
        #expect(c.relativeError(of: g) < 1e-2)
    }

    @Test func threeLayerNetworkWithLeakyReLU() {
        let layers = Self.threeLayers(.leakyReLU(slope: 0.2))
        var c = checker(layers, height: 12, width: 14, dilation: 3, seed: 42)
        let g = c.analytic()
        // h = 5e-4: larger steps cross activation kinks (measured over three seeds: 1e-2
        // gives ~1.5e-2 error from that alone, 5e-4 gives 3e-4 to 2e-3), smaller ones drown
        // in Float rounding.
        #expect(c.relativeError(of: g, h: 5e-4) < 5e-3)
    }

    /// RAKI's shape in miniature: 2 × 5 dilated, 1 × 1, 2 × 3 dilated.
    static func threeLayers(_ a: Activation) -> [ConvNet.Layer] {
        [.init(Conv2D(inChannels: 4, outChannels: 6, kernelHeight: 2, kernelWidth: 5), a),
         .init(Conv2D(inChannels: 6, outChannels: 3, kernelHeight: 1, kernelWidth: 1), a),
         .init(Conv2D(inChannels: 3, outChannels: 6, kernelHeight: 2, kernelWidth: 3), .identity)]
    }

    /// ReLU is the limit of leaky ReLU as the slope goes to 0: the same network with slope
    /// 1e-7 must give the same gradient. (A direct Float finite-difference check of a ReLU
    /// network is dominated by steps across its flat-sided kinks: 4e-2 at h = 5e-4.)
    @Test func reluGradientIsTheLimitOfLeakyReLU() {
        var relu = checker(Self.threeLayers(.relu), height: 12, width: 14, dilation: 2, seed: 7)
        var leaky = checker(Self.threeLayers(.leakyReLU(slope: 1e-7)), height: 12, width: 14, dilation: 2, seed: 7)
        let a = relu.analytic(), b = leaky.analytic()
        let num = zip(a, b).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
        let den = b.reduce(0.0) { $0 + Double($1 * $1) }
        #expect((num / den).squareRoot() < 1e-5)
        #expect(a.contains { $0 != 0 })
    }

    /// The check has teeth: a gradient with the last layer's bias gradients zeroed, or
    /// with a 10 % error on the middle layer's weights, fails it by a wide margin.
    @Test func aBrokenBackwardPassFailsTheCheck() {
        let layers = Self.threeLayers(.leakyReLU(slope: 0.2))
        var c = checker(layers, height: 12, width: 14, dilation: 3, seed: 42)
        let good = c.analytic()
        var noBias = good
        let lastBias = c.network.offsets[2] + layers[2].convolution.parameterCount - 6
        for i in lastBias..<(lastBias + 6) { noBias[i] = 0 }
        #expect(c.relativeError(of: noBias, h: 5e-4) > 0.05)
        var scaled = good
        for i in c.network.offsets[1]..<c.network.offsets[2] { scaled[i] *= 1.1 }
        #expect(c.relativeError(of: scaled, h: 5e-4) > 2e-2)
        #expect(c.relativeError(of: good, h: 5e-4) < 5e-3)
    }

    @Test func adamDescendsAQuadratic() {
        var x: [Float] = [3, -2]
        var adam = Adam(count: 2, learningRate: 0.1)
        for _ in 0..<500 { adam.update(&x, gradient: [2 * x[0], 8 * x[1]]) }
        #expect(abs(x[0]) < 1e-2 && abs(x[1]) < 1e-2)
    }
}
