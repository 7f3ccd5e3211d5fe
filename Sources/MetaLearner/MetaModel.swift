import Foundation
import MRICore

/// Which meta-learned reconstruction a model performs.
public enum MetaVariant: String, Sendable, Codable, CaseIterable {
    /// The published method: `G_θ` alone, θ from T gate-driven steps from θ₀ (docs/meta-grappa.md).
    case paper
    /// Ours: a per-scan least-squares linear branch (GRAPPA over the learner's support)
    /// plus `G_θ` adapted in T steps to what the linear branch leaves over.
    case residual
}

/// A meta-trained model: everything a reconstruction needs, in one small, versioned,
/// self-describing file. Meta-parameters Φ = {θ₀, gates}.
public struct MetaModel: Sendable, Equatable {
    /// The variant.
    public let variant: MetaVariant
    /// The learner network's shape (coils, R, widths).
    public let learner: LearnerCNN
    /// The meta-learner (T and the gate parameters).
    public var metaLearner: MetaLearnerLSTM
    /// θ₀, the learned start of the T steps.
    public var initialParameters: [Float]
    /// The coil array the model belongs to.
    public let array: CoilArrayProfile
    /// Relative Tikhonov weight of the residual variant's linear branch (nil for `paper`).
    public let linearBranchLambda: Double?
    /// Central ACS readout samples in `L_train` (nil: all).
    public let acsReadoutWindow: Int?
    /// How the model was made (command, duration, validation numbers); informative only.
    public var provenance: [String: String]

    /// How k-space and losses are normalised (recorded in the file for readers).
    public static let normalisation = "k-space scaled by 1/max|ACS|; L_train divided by mean(Y_ACS^2), L_test by mean(Y_full^2)"

    /// Creates a model; checks that the sizes agree.
    public init(variant: MetaVariant, learner: LearnerCNN, metaLearner: MetaLearnerLSTM, initialParameters: [Float],
                array: CoilArrayProfile, linearBranchLambda: Double?, acsReadoutWindow: Int? = nil,
                provenance: [String: String] = [:]) throws {
        guard initialParameters.count == learner.parameterCount else {
            throw MRIError(.format, "θ₀ has \(initialParameters.count) values, the learner needs \(learner.parameterCount)")
        }
        guard array.coils == learner.coils, array.signature.count == learner.coils * (learner.coils - 1) / 2 else {
            throw MRIError(.format, "the coil-array profile is for \(array.coils) coils, the learner for \(learner.coils)")
        }
        guard (variant == .residual) == (linearBranchLambda != nil) else {
            throw MRIError(.format, "a linear-branch regularisation is required by the residual variant and only by it")
        }
        guard (acsReadoutWindow ?? 1) >= 1 else {
            throw MRIError(.format, "the ACS readout window must be positive, found \(acsReadoutWindow ?? 0)")
        }
        guard metaLearner.steps >= 1, metaLearner.steps <= 100 else {
            throw MRIError(.format, "T must be in 1…100, found \(metaLearner.steps)")
        }
        self.variant = variant
        self.learner = learner
        self.metaLearner = metaLearner
        self.initialParameters = initialParameters
        self.array = array
        self.linearBranchLambda = linearBranchLambda
        self.acsReadoutWindow = acsReadoutWindow
        self.provenance = provenance
    }

    /// The acceleration the model reconstructs.
    public var acceleration: Int { learner.acceleration }

    // MARK: - File format

    static let magic = Array("MGMETA\r\n".utf8)
    static let version: UInt32 = 1

    private struct Header: Codable {
        let variant: MetaVariant
        let learner: LearnerCNN
        let steps: Int
        let array: CoilArrayProfile
        let linearBranchLambda: Double?
        let acsReadoutWindow: Int?
        let normalisation: String
        let parameterCount: Int
        let gateCount: Int
        let provenance: [String: String]

        // The file's key for the branch's λ_rel predates the name (docs/file-formats.md).
        enum CodingKeys: String, CodingKey {
            case variant, learner, steps, array, acsReadoutWindow, normalisation, parameterCount, gateCount, provenance
            case linearBranchLambda = "linearBranchRegularization"
        }
    }

    /// Magic `MGMETA\r\n`, version (UInt32 LE), JSON header length (UInt32 LE), the JSON
    /// header, then θ₀ and the gate parameters as little-endian float32 (bit-exact).
    public func serialized() throws -> [UInt8] {
        let header = Header(variant: variant, learner: learner, steps: metaLearner.steps, array: array,
                            linearBranchLambda: linearBranchLambda, acsReadoutWindow: acsReadoutWindow,
                            normalisation: Self.normalisation,
                            parameterCount: initialParameters.count, gateCount: metaLearner.gates.count,
                            provenance: provenance)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(header)
        var out = Self.magic
        withUnsafeBytes(of: Self.version.littleEndian) { out += $0 }
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { out += $0 }
        out += json
        for v in initialParameters + metaLearner.gates { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        return out
    }

    /// Reads the form written by ``serialized()``; `source` names the file in errors.
    public init(serialized bytes: [UInt8], source: String) throws {
        func fail(_ why: String) -> MRIError { MRIError(.format, "\(source): \(why)") }
        guard bytes.count >= 16, Array(bytes[0..<8]) == Self.magic else {
            throw fail("not a MetaGRAPPA meta model (magic MGMETA missing)")
        }
        func word(_ at: Int) -> UInt32 { bytes[at..<(at + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        guard word(8) == Self.version else {
            throw fail("meta model version \(word(8)) is not supported (expected \(Self.version))")
        }
        let length = Int(word(12))
        guard 16 + length <= bytes.count else { throw fail("meta model is truncated in its header") }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + length)]))
        } catch {
            throw fail("meta model header is not valid JSON of the expected form")
        }
        guard header.gateCount == 3 * MetaLearnerLSTM.gateSize, header.parameterCount >= 1,
              header.parameterCount <= 50_000_000 else {
            throw fail("meta model header has impossible sizes (θ \(header.parameterCount), gates \(header.gateCount))")
        }
        let count = header.parameterCount + header.gateCount
        let payload = bytes.count - 16 - length
        guard payload == 4 * count else {
            throw fail("meta model payload has \(payload) bytes, expected \(4 * count) (θ₀ and gates as float32)")
        }
        var values = [Float](repeating: 0, count: count)
        for i in 0..<count { values[i] = Float(bitPattern: word(16 + length + 4 * i)) }
        guard values.allSatisfy(\.isFinite) else { throw fail("meta model parameters contain NaN or Inf") }
        let learner = try LearnerCNN(coils: header.learner.coils, acceleration: header.learner.acceleration,
                                     hiddenChannels: header.learner.hiddenChannels,
                                     negativeSlope: header.learner.negativeSlope)
        do {
            try self.init(variant: header.variant, learner: learner,
                          metaLearner: MetaLearnerLSTM(steps: header.steps, gates: Array(values[header.parameterCount...])),
                          initialParameters: Array(values[..<header.parameterCount]), array: header.array,
                          linearBranchLambda: header.linearBranchLambda,
                          acsReadoutWindow: header.acsReadoutWindow, provenance: header.provenance)
        } catch let error as MRIError {
            throw fail(error.message)
        }
    }
}
