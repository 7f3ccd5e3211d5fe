import MRICore
import NeuralNetwork

/// The learner `G_θ` (docs/meta-grappa.md): RAKI's three convolutions with leaky ReLU after the
/// first two, mapping the acquired lattice lines (2C real channels) to the `R − 1`
/// missing lines below each acquired line (2C·(R−1) channels).
///
/// Layer 1: 2C → h₁, 2 × 5, rows dilated by R. Layer 2: h₁ → h₂, 1 × 1. Layer 3:
/// h₂ → 2C·(R−1), 2 × 3, dilated by R. θ is all weights and biases as one flat vector
/// (``NeuralNetwork/ConvNet/parameters``).
public struct LearnerCNN: Sendable, Equatable, Codable {
    /// Coils (the input has twice as many real channels).
    public let coils: Int
    /// Acceleration R.
    public let acceleration: Int
    /// Channels of the two hidden layers (RAKI's 32 and 8 by default).
    public let hiddenChannels: [Int]
    /// Slope of the leaky ReLUs for negative inputs (0.2; the paper does not say).
    public let negativeSlope: Float

    /// Describes a learner; throws for sizes that cannot make a network.
    public init(coils: Int, acceleration: Int, hiddenChannels: [Int] = [32, 8], negativeSlope: Float = 0.2) throws {
        guard coils >= 1, acceleration >= 2, hiddenChannels.count == 2, hiddenChannels.allSatisfy({ $0 >= 1 }),
              negativeSlope >= 0, negativeSlope < 1 else {
            throw MRIError(.invalidArgument,
                           "learner needs ≥ 1 coil, R ≥ 2, two positive hidden widths and a slope in [0, 1); found \(coils) coils, R=\(acceleration), widths \(hiddenChannels), slope \(negativeSlope)")
        }
        self.coils = coils
        self.acceleration = acceleration
        self.hiddenChannels = hiddenChannels
        self.negativeSlope = negativeSlope
    }

    /// The three layers.
    public var layers: [ConvNet.Layer] {
        let act = Activation.leakyReLU(slope: negativeSlope)
        let (h1, h2, c) = (hiddenChannels[0], hiddenChannels[1], 2 * coils)
        return [
            .init(Conv2D(inChannels: c, outChannels: h1, kernelHeight: 2, kernelWidth: 5), act),
            .init(Conv2D(inChannels: h1, outChannels: h2, kernelHeight: 1, kernelWidth: 1), act),
            .init(Conv2D(inChannels: h2, outChannels: c * (acceleration - 1), kernelHeight: 2, kernelWidth: 3), .identity),
        ]
    }

    /// A network with He-uniform initial weights for `seed` (the start of θ₀ in meta-training).
    public func network(seed: UInt64) -> ConvNet { ConvNet(layers: layers, seed: seed) }

    /// The network with weights and biases θ.
    public func network(parameters theta: [Float]) -> ConvNet { ConvNet(layers: layers, parameters: theta) }

    /// Length `P` of θ.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.convolution.parameterCount } }
}
