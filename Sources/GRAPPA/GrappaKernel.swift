import Foundation
import MRICore
import Numerics

/// A calibrated GRAPPA kernel: a value that can be kept, saved, and applied to other
/// slices acquired with the same coil array and acceleration.
///
/// `weights` is the column-major `sources × targets` matrix of the least-squares fit:
/// source index `((c′·lines) + j)·readout + d` (coil, source line, readout offset),
/// target index `c·(R−1) + (m−1)` (coil, distance below the acquired line).
public struct GrappaKernel: Sendable, Equatable {
    /// Kernel shape.
    public let geometry: GrappaKernelGeometry
    /// Acceleration `R` the kernel was calibrated for.
    public let acceleration: Int
    /// Number of coils.
    public let coils: Int
    /// The relative Tikhonov weight λ_rel used in calibration.
    public let lambda: Double
    /// Weights, `sourceCount × targetCount`, column-major.
    public let weights: [Complex<Float>]

    /// Number of source samples per estimate, `coils · lines · readout`.
    public var sourceCount: Int { coils * geometry.lines * geometry.readout }
    /// Number of estimated samples per position, `coils · (R − 1)`.
    public var targetCount: Int { coils * (acceleration - 1) }

    /// Creates a kernel from its weights (checked against the sizes).
    public init(geometry: GrappaKernelGeometry, acceleration: Int, coils: Int, lambda: Double,
                weights: [Complex<Float>]) throws {
        try geometry.validate()
        guard acceleration >= 2, coils >= 1 else {
            throw MRIError(.format, "GRAPPA kernel needs R ≥ 2 and ≥ 1 coil, found R=\(acceleration), \(coils) coils")
        }
        let need = coils * geometry.lines * geometry.readout * coils * (acceleration - 1)
        guard weights.count == need else {
            throw MRIError(.format, "GRAPPA kernel for \(coils) coils, R=\(acceleration), \(geometry) needs \(need) weights, found \(weights.count)")
        }
        self.geometry = geometry
        self.acceleration = acceleration
        self.coils = coils
        self.lambda = lambda
        self.weights = weights
    }

    /// Weight from source (coil `sc`, line `j` counted from 0, readout `d` counted from 0)
    /// to target (coil `c`, distance `m` in 1..<R).
    public func weight(sourceCoil sc: Int, line j: Int, readout d: Int, targetCoil c: Int, distance m: Int) -> Complex<Float> {
        weights[((sc * geometry.lines + j) * geometry.readout + d) + (c * (acceleration - 1) + m - 1) * sourceCount]
    }

    // MARK: - Serialisation

    private static let magic = Array("MGRAPPAK".utf8)
    private static let version: UInt32 = 1

    private struct Header: Codable {
        let geometry: GrappaKernelGeometry
        let acceleration: Int
        let coils: Int
        let lambda: Double

        // The file's key for λ_rel predates the name (docs/file-formats.md).
        enum CodingKeys: String, CodingKey {
            case geometry, acceleration, coils, lambda = "regularization"
        }
    }

    /// A self-describing binary form: magic `MGRAPPAK`, version, a JSON header
    /// (geometry, R, coils, λ) and the weights as little-endian complex64.
    public func serialized() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // the same kernel, the same bytes
        let json = try encoder.encode(Header(geometry: geometry, acceleration: acceleration, coils: coils,
                                             lambda: lambda))
        var out = Self.magic
        withUnsafeBytes(of: Self.version.littleEndian) { out += $0 }
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { out += $0 }
        out += json
        weights.withUnsafeBytes { out += $0 }
        return out
    }

    /// Reads the form written by ``serialized()``; `source` names the file in errors.
    public init(serialized bytes: [UInt8], source: String) throws {
        guard bytes.count >= 16, Array(bytes[0..<8]) == Self.magic else {
            throw MRIError(.format, "\(source): not a MetaGRAPPA kernel file (magic MGRAPPAK missing)")
        }
        let version = bytes[8..<12].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard version == Self.version else {
            throw MRIError(.format, "\(source): kernel file version \(version) is not supported (expected \(Self.version))")
        }
        let length = Int(bytes[12..<16].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard 16 + length <= bytes.count else { throw MRIError(.format, "\(source): kernel file is truncated") }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[16..<(16 + length)]))
        } catch {
            throw MRIError(.format, "\(source): kernel file header is not valid JSON")
        }
        let payload = bytes[(16 + length)...]
        guard payload.count % 8 == 0 else { throw MRIError(.format, "\(source): kernel weights are truncated") }
        let weights = payload.withUnsafeBytes { Array($0.bindMemory(to: Complex<Float>.self)) }
        try self.init(geometry: header.geometry, acceleration: header.acceleration, coils: header.coils,
                      lambda: header.lambda, weights: weights)
        guard weights.allSatisfy({ $0.real.isFinite && $0.imaginary.isFinite }) else {
            throw MRIError(.format, "\(source): kernel weights contain NaN or Inf")
        }
    }
}
