import Foundation
import MRICore
import Numerics

/// A calibrated GRAPPA kernel: a value that can be kept, saved, and applied to other
/// slices acquired with the same coil array and acceleration.
///
/// `weights` is the column-major `sources × targets` matrix of the least-squares fit:
/// source index `((c′·lines) + j)·readout + d` (coil, source line, readout offset),
/// target index `c·(R−1) + (m−1)` (coil, distance below the acquired line). With virtual
/// conjugate coils the source coils `c′` are the physical ones followed by their conjugate
/// reflections (``MRICore/ConjugateSymmetry``); the targets are the physical coils.
public struct GrappaKernel: Sendable, Equatable {
    /// Kernel shape.
    public let geometry: GrappaKernelGeometry
    /// Acceleration `R` the kernel was calibrated for.
    public let acceleration: Int
    /// Number of (physical) coils: of the k-space the kernel applies to, and of its targets.
    public let coils: Int
    /// Whether the sources include the coils' conjugate reflections (virtual conjugate coils).
    public let virtualConjugate: Bool
    /// The relative Tikhonov weight λ_rel used in calibration.
    public let lambda: Double
    /// Weights, `sourceCount × targetCount`, column-major.
    public let weights: [Complex<Float>]

    /// Number of source coils: ``coils``, twice that with virtual conjugate coils.
    public var sourceCoils: Int { virtualConjugate ? 2 * coils : coils }
    /// Number of source samples per estimate, `sourceCoils · lines · readout`.
    public var sourceCount: Int { sourceCoils * geometry.lines * geometry.readout }
    /// Number of estimated samples per position, `coils · (R − 1)`.
    public var targetCount: Int { coils * (acceleration - 1) }

    /// Creates a kernel from its weights (checked against the sizes).
    public init(geometry: GrappaKernelGeometry, acceleration: Int, coils: Int, lambda: Double,
                virtualConjugate: Bool = false, weights: [Complex<Float>]) throws {
        try geometry.validate()
        guard acceleration >= 2, coils >= 1 else {
            throw MRIError(.format, "GRAPPA kernel needs R ≥ 2 and ≥ 1 coil, found R=\(acceleration), \(coils) coils")
        }
        let need = (virtualConjugate ? 2 : 1) * coils * geometry.lines * geometry.readout * coils * (acceleration - 1)
        guard weights.count == need else {
            let sources = virtualConjugate ? " (and their \(coils) virtual conjugates)" : ""
            throw MRIError(.format, "GRAPPA kernel for \(coils) coils\(sources), R=\(acceleration), \(geometry) needs \(need) weights, found \(weights.count)")
        }
        self.virtualConjugate = virtualConjugate
        self.geometry = geometry
        self.acceleration = acceleration
        self.coils = coils
        self.lambda = lambda
        self.weights = weights
    }

    /// Weight from source (coil `sc` in `0..<sourceCoils`, line `j` counted from 0, readout `d`
    /// counted from 0) to target (coil `c`, distance `m` in 1..<R).
    public func weight(sourceCoil sc: Int, line j: Int, readout d: Int, targetCoil c: Int, distance m: Int) -> Complex<Float> {
        weights[((sc * geometry.lines + j) * geometry.readout + d) + (c * (acceleration - 1) + m - 1) * sourceCount]
    }

    // MARK: - Serialisation

    private static let magic = Array("MGRAPPAK".utf8)
    /// Version 1: kernels on physical coils; 2: with virtual conjugate coils (`virtual_conjugate`
    /// in the header), which a reader of version 1 could not apply. Both are read.
    private static let versions: ClosedRange<UInt32> = 1...2

    private struct Header: Codable {
        let geometry: GrappaKernelGeometry
        let acceleration: Int
        let coils: Int
        let lambda: Double
        let virtualConjugate: Bool?

        // The file's key for λ_rel predates the name (docs/file-formats.md).
        enum CodingKeys: String, CodingKey {
            case geometry, acceleration, coils, lambda = "regularization", virtualConjugate = "virtual_conjugate"
        }
    }

    /// A self-describing binary form: magic `MGRAPPAK`, version, a JSON header
    /// (geometry, R, coils, λ) and the weights as little-endian complex64.
    public func serialized() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]  // the same kernel, the same bytes
        let json = try encoder.encode(Header(geometry: geometry, acceleration: acceleration, coils: coils,
                                             lambda: lambda, virtualConjugate: virtualConjugate ? true : nil))
        var out = Self.magic
        let version = virtualConjugate ? Self.versions.upperBound : Self.versions.lowerBound
        withUnsafeBytes(of: version.littleEndian) { out += $0 }
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
        guard Self.versions.contains(version) else {
            throw MRIError(.format, "\(source): kernel file version \(version) is not supported (expected \(Self.versions.lowerBound)…\(Self.versions.upperBound))")
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
                      lambda: header.lambda, virtualConjugate: header.virtualConjugate ?? false, weights: weights)
        guard weights.allSatisfy({ $0.real.isFinite && $0.imaginary.isFinite }) else {
            throw MRIError(.format, "\(source): kernel weights contain NaN or Inf")
        }
    }
}
