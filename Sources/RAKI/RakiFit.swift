import Compute
import MRICore
import NeuralNetwork

extension Raki {
    /// A trained network and how its training went (SPI for the lab's RAKI variants).
    @_spi(Lab) public struct Fit {
        /// The network with the best parameters (first-layer whitening folded back in).
        public var network: ConvNet
        /// The linear path trained with it (``Raki/Options/linearPath``).
        public var linearPath: ConvNet?
        /// The best loss: on the held-out columns when there are some, else on the training pairs.
        public var loss: Float
        /// Iterations run.
        public var iterations: Int
    }

    /// Adam on the mean squared error between the network's answer to `input` (row dilation
    /// R) and `target`. With `heldOut` (one flag per target column), those columns are left
    /// out of the loss and decide instead: the parameters kept are those of the best
    /// held-out loss, and a plateau of that loss ends training. Without, the training loss
    /// does both, as RAKI always did.
    @_spi(Lab) public func fit(input: FeatureMap, target: FeatureMap, heldOut: [Bool]? = nil, coils: Int, acceleration r: Int, acsLines: Int,
             progress: Progress?) throws -> Fit {
        let maxIterations = options.iterations
            ?? options.automaticIterations(coils: coils, acsLines: acsLines, readout: input.width, acceleration: r)
        var network = ConvNet(layers: Self.layers(coils: coils, acceleration: r, options: options), seed: options.seed)
        var adam = Adam(count: network.parameterCount, learningRate: options.learningRate)
        var columns = network.layers[0].convolution.columns(of: input, dilation: r)
        let whitening = options.whiteningRidge.flatMap { InputWhitening(columns: columns, ridge: $0) }
        if let whitening { columns = whitening.whiten(columns) }
        var linear = options.linearPath ? ConvNet(layers: [Self.linearLayer(coils: coils, acceleration: r)], seed: options.seed &+ 1) : nil
        var linearAdam = linear.map { Adam(count: $0.parameterCount, learningRate: options.learningRate) }
        let linearColumns = linear.map { $0.layers[0].convolution.columns(of: input, dilation: r) }
        var history: [Float] = []
        var best = (loss: Float.infinity, parameters: network.parameters, linear: linear?.parameters)
        for iteration in 1...maxIterations {
            var prediction = network.forward(input, dilation: r, firstLayerColumns: columns)
            if let columns = linearColumns {
                let path = linear!.forward(input, dilation: r, firstLayerColumns: columns)
                precondition(path.data.count == prediction.data.count, "linear path and network differ in output shape")
                for i in prediction.data.indices { prediction.data[i] += path.data[i] }
            }
            var (loss, gradient) = MeanSquaredError.evaluate(prediction: prediction, target: target)
            var decisive = loss
            if let heldOut {
                let split = Self.splitError(prediction: prediction, target: target, heldOut: heldOut, gradient: &gradient)
                (loss, decisive) = (split.training, split.heldOut)
            }
            guard loss.isFinite else {
                throw MRIError(.numerical, "RAKI training diverged at iteration \(iteration); use a smaller learning rate",
                               setting: .learningRate)
            }
            if decisive < best.loss { best = (decisive, network.parameters, linear?.parameters) }
            history.append(decisive)
            // Plateau: the last `window` iterations did not beat the best before them by `tolerance`.
            let window = options.plateauWindow
            let plateau = history.count > window
                && history.suffix(window).min()! > history.dropLast(window).min()! * (1 - options.plateauTolerance)
            let done = iteration == maxIterations || plateau
            progress?(iteration, maxIterations, loss, done)
            if done { break }
            network.backward(outputGradient: gradient)
            adam.update(&network.parameters, gradient: network.gradient)
            if linear != nil {
                linear!.backward(outputGradient: gradient)
                linearAdam!.update(&linear!.parameters, gradient: linear!.gradient)
            }
        }
        network.parameters = best.parameters
        if let parameters = best.linear { linear!.parameters = parameters }
        if let whitening {
            network.parameters.withUnsafeMutableBufferPointer {
                whitening.restore(weights: $0.baseAddress!, rows: options.hiddenChannels.0)
            }
        }
        return Fit(network: network, linearPath: linear, loss: best.loss, iterations: history.count)
    }

    /// The linear path: 3 lattice lines × 7 readout samples, the network's own receptive field,
    /// no bias (zero data, zero estimate).
    static func linearLayer(coils: Int, acceleration r: Int) -> ConvNet.Layer {
        .init(Conv2D(inChannels: 2 * coils, outChannels: 2 * coils * (r - 1), kernelHeight: 3, kernelWidth: 7, bias: false), .identity)
    }

    /// The mean squared errors on the training and the held-out columns of `target`, and the
    /// training loss's gradient (`gradient`, from the whole-map loss, rescaled to the training
    /// columns and zeroed on the held-out ones).
    static func splitError(prediction: FeatureMap, target: FeatureMap, heldOut: [Bool],
                           gradient: inout FeatureMap) -> (training: Float, heldOut: Float) {
        let rows = prediction.channels * prediction.height, valid = prediction.validWidth
        let held = (0..<valid).filter { heldOut[$0] }.count, kept = valid - held
        var (sumKept, sumHeld) = (0.0, 0.0)
        let rescale = Float(valid) / Float(max(kept, 1))
        for row in 0..<rows {
            for x in 0..<valid {
                let d = Double(prediction.data[row * prediction.width + x] - target.data[row * target.width + x])
                if heldOut[x] {
                    sumHeld += d * d
                    gradient.data[row * gradient.width + x] = 0
                } else {
                    sumKept += d * d
                    gradient.data[row * gradient.width + x] *= rescale
                }
            }
        }
        return (Float(sumKept / Double(rows * max(kept, 1))), Float(sumHeld / Double(rows * max(held, 1))))
    }
}
