import Compute
import Foundation

/// A chain of ``Conv2D`` layers, each followed by an ``Activation``, whose weights and
/// biases live in **one flat vector** ``parameters`` (layer by layer, each layer's
/// weights tap-major then its biases) and whose gradient lands in one flat vector of
/// the same layout. The meta-learner treats that vector as the LSTM cell state θ.
///
/// `forward` keeps what `backward` needs; `backward` must follow the `forward` whose
/// output it differentiates.
public struct ConvNet: Sendable {
    /// One layer and the activation after it.
    public struct Layer: Sendable, Equatable, Codable {
        /// The convolution.
        public let convolution: Conv2D
        /// The activation applied to its output.
        public let activation: Activation

        /// Pairs a convolution with its activation.
        public init(_ convolution: Conv2D, _ activation: Activation) {
            self.convolution = convolution
            self.activation = activation
        }
    }

    /// The layers, input to output.
    public let layers: [Layer]
    /// All weights and biases.
    public var parameters: [Float]
    /// ∂loss/∂parameters from the last ``backward(outputGradient:)``.
    public private(set) var gradient: [Float]

    /// Offset of each layer's parameters in the flat vector.
    public let offsets: [Int]

    private var inputs: [FeatureMap] = []
    private var preActivations: [FeatureMap] = []
    private var dilation = 1
    private var columns: [Conv2D.Columns] = []

    /// A network with He-uniform initial weights (`±sqrt(6 / fan-in)`) and zero biases,
    /// deterministic for a seed.
    public init(layers: [Layer], seed: UInt64) {
        self.init(layers: layers, seed: seed, initialise: true)
    }

    private init(layers: [Layer], seed: UInt64, initialise: Bool) {
        for (a, b) in zip(layers, layers.dropFirst()) {
            precondition(a.convolution.outChannels == b.convolution.inChannels, "layer channel counts do not chain")
        }
        self.layers = layers
        var offsets: [Int] = []
        var total = 0
        for l in layers {
            offsets.append(total)
            total += l.convolution.parameterCount
        }
        self.offsets = offsets
        var rng = SeededGenerator(seed: seed)
        var p = [Float](repeating: 0, count: total)
        for (l, offset) in zip(layers, offsets) where initialise {
            let c = l.convolution
            let fanIn = Double(c.inChannels * c.kernelHeight * c.kernelWidth)
            let bound = (6 / fanIn).squareRoot()
            for i in 0..<(c.outChannels * c.inChannels * c.kernelHeight * c.kernelWidth) {
                p[offset + i] = Float((2 * rng.uniform() - 1) * bound)
            }
        }
        parameters = p
        gradient = [Float](repeating: 0, count: total)
    }

    /// A network with the given flat parameter vector (its length must match the layers).
    public init(layers: [Layer], parameters: [Float]) {
        self.init(layers: layers, seed: 0, initialise: false)
        precondition(parameters.count == self.parameters.count, "parameter vector of \(parameters.count), the layers need \(self.parameters.count)")
        self.parameters = parameters
    }

    /// Number of parameters, the length of θ.
    public var parameterCount: Int { parameters.count }

    /// Runs the network for training; `dilation` spaces the kernel rows of every layer.
    /// Every layer runs on its unfolded input (``Conv2D/Columns``), so that forward and
    /// weight gradient are one GEMM each; for the first layer the caller may pass the
    /// unfolding of `input`, made once for an input used many times.
    public mutating func forward(_ input: FeatureMap, dilation: Int = 1,
                                 firstLayerColumns: Conv2D.Columns? = nil) -> FeatureMap {
        self.dilation = dilation
        inputs = []
        preActivations = []
        columns = []
        var x = input
        parameters.withUnsafeBufferPointer { p in
            for (index, (l, offset)) in zip(layers, offsets).enumerated() {
                inputs.append(x)
                let conv = l.convolution
                let unfolded = index == 0 ? firstLayerColumns ?? conv.columns(of: x, dilation: dilation)
                                          : conv.columns(of: x, dilation: dilation)
                columns.append(unfolded)
                var z = conv.forward(unfolded, parameters: p.baseAddress! + offset)
                preActivations.append(z)
                l.activation.forward(&z.data, count: z.count)
                x = z
            }
        }
        return x
    }

    /// Runs the network without keeping anything for a backward pass. A layer with few
    /// input rows per output (`taps · in ≤ 128`, such as the learner's last layer, 6 × 8)
    /// runs on its unfolded input, one GEMM with a useful inner dimension; a wide one
    /// runs one GEMM per tap, which needs no unfolded copy of a large input.
    public func predict(_ input: FeatureMap, dilation: Int = 1) -> FeatureMap {
        var x = input
        parameters.withUnsafeBufferPointer { p in
            for (l, offset) in zip(layers, offsets) {
                let conv = l.convolution
                if conv.kernelHeight * conv.kernelWidth * conv.inChannels <= 128 {
                    x = conv.forward(conv.columns(of: x, dilation: dilation), parameters: p.baseAddress! + offset)
                } else {
                    x = conv.forward(x, dilation: dilation, parameters: p.baseAddress! + offset)
                }
                l.activation.forward(&x.data, count: x.count)
            }
        }
        return x
    }

    /// The network's answer to an all-zero input, one constant per output channel. With
    /// biases a network answers zero data with a constant, which interpolators of k-space
    /// must not add where the data vanish (it images as a line of spots down the centre
    /// column): they estimate `f(x) − f(0)`, subtracting these while they write the output.
    public func zeroResponse() -> [Float] {
        let first = layers[0].convolution
        let rows = layers.reduce(1) { $0 + $1.convolution.kernelHeight - 1 }
        let columns = layers.reduce(1) { $0 + $1.convolution.kernelWidth - 1 }
        let zero = predict(FeatureMap(channels: first.inChannels, height: rows, width: columns), dilation: 1)
        return (0..<zero.channels).map { zero[$0, 0, 0] }
    }

    /// Back-propagates `outputGradient` (∂loss/∂output, zero outside the valid columns)
    /// through the last forward pass into ``gradient``.
    public mutating func backward(outputGradient: FeatureMap) {
        precondition(inputs.count == layers.count, "backward needs a forward pass first")
        var g = outputGradient
        let (layers, offsets, inputs, pre, dilation) = (layers, offsets, inputs, preActivations, dilation)
        let columns = columns
        parameters.withUnsafeBufferPointer { p in
            gradient.withUnsafeMutableBufferPointer { grad in
                for index in stride(from: layers.count - 1, through: 0, by: -1) {
                    layers[index].activation.backward(&g.data, preActivation: pre[index].data, count: g.count)
                    let conv = layers[index].convolution
                    conv.backward(columns[index], outputGradient: g, gradient: grad.baseAddress! + offsets[index])
                    if index > 0 {
                        g = conv.inputGradient(input: inputs[index], outputGradient: g, dilation: dilation,
                                               parameters: p.baseAddress! + offsets[index])
                    }
                }
            }
        }
    }
}

/// Mean squared error over the valid columns of all channels.
public enum MeanSquaredError {
    /// The loss `weight · mean((prediction − target)²)` and its gradient with respect to
    /// the prediction (zero outside the valid columns). Shapes must agree.
    public static func evaluate(prediction: FeatureMap, target: FeatureMap,
                                weight: Float = 1) -> (loss: Float, gradient: FeatureMap) {
        precondition(prediction.channels == target.channels && prediction.height == target.height
                     && prediction.validWidth == target.validWidth, "prediction and target differ in shape")
        var gradient = FeatureMap(channels: prediction.channels, height: prediction.height, width: prediction.width,
                                  validWidth: prediction.validWidth)
        let count = prediction.channels * prediction.height * prediction.validWidth
        let scale = 2 * weight / Float(count), rows = prediction.channels * prediction.height, valid = prediction.validWidth
        var sum = 0.0
        prediction.data.withUnsafeBufferPointer { p in
            target.data.withUnsafeBufferPointer { t in
                gradient.data.withUnsafeMutableBufferPointer { g in
                    for row in 0..<rows {
                        let (pp, tp, gp) = (p.baseAddress! + row * prediction.width, t.baseAddress! + row * target.width,
                                            g.baseAddress! + row * prediction.width)
                        var rowSum: Float = 0
                        for x in 0..<valid {
                            let d = pp[x] - tp[x]
                            rowSum += d * d
                            gp[x] = scale * d
                        }
                        sum += Double(rowSum)
                    }
                }
            }
        }
        return (Float(sum / Double(count)) * weight, gradient)
    }
}
