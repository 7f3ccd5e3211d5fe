import Foundation
import MRICore
import Numerics

/// The coil array a model belongs to (METHOD.md §6–§7: no common θ₀ exists across
/// arrays, so a model records its array and refuses others).
///
/// The fingerprint is measured from data: the magnitudes of the normalised coil-to-coil
/// correlations over the ACS block, `|Gᵢⱼ| / √(Gᵢᵢ Gⱼⱼ)` with `G = AᴴA` (upper triangle).
/// It reflects which coils overlap, hence the array's geometry and coil order, and
/// depends little on the anatomy. (Per-coil energies, a first choice, moved with the
/// object's position as much as with a permutation of the coils: measured in
/// BENCHMARKS.md.) A rotation of a ring-symmetric array's coil labels looks the same and
/// is not detected. ``tolerance`` is set at training from the spread over its scans.
public struct CoilArrayProfile: Sendable, Equatable, Codable {
    /// A human-readable name of the array (e.g. "paper-32-loop-4x8").
    public let name: String
    /// Number of coils.
    public let coils: Int
    /// Mean fingerprint over the scans the model was trained and validated on.
    public let signature: [Float]
    /// Largest accepted RMS difference between a scan's fingerprint and ``signature``.
    public let tolerance: Float

    /// Creates a profile.
    public init(name: String, coils: Int, signature: [Float], tolerance: Float) {
        self.name = name
        self.coils = coils
        self.signature = signature
        self.tolerance = tolerance
    }

    /// The fingerprint of `k` over the lines `acs`: `C(C−1)/2` values in [0, 1].
    public static func signature(of k: KSpace, acs: Range<Int>) -> [Float] {
        let c = k.coils, plane = k.ny * k.nx
        var gram = [Complex<Float>](repeating: .zero, count: c * c)
        k.data.withUnsafeBufferPointer { data in
            gram.withUnsafeMutableBufferPointer { g in
                let a = data.baseAddress! + acs.lowerBound * k.nx
                ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: c, n: c, k: acs.count * k.nx,
                                          a: a, lda: plane, b: a, ldb: plane, c: g.baseAddress!, ldc: c)
            }
        }
        var out: [Float] = []
        out.reserveCapacity(c * (c - 1) / 2)
        for j in 0..<c {
            for i in 0..<j {
                let d = (gram[i * c + i].real * gram[j * c + j].real).squareRoot()
                out.append(d > 0 ? gram[j * c + i].length / d : 0)
            }
        }
        return out
    }

    /// RMS difference between a fingerprint and this profile's.
    public func distance(to other: [Float]) -> Float {
        guard other.count == signature.count, !signature.isEmpty else { return other.count == signature.count ? 0 : .infinity }
        var s: Float = 0
        for (a, b) in zip(signature, other) { s += (a - b) * (a - b) }
        return (s / Float(signature.count)).squareRoot()
    }

    /// Throws a clear error, saying how to train a model for it, unless `k` comes from this array.
    public func check(_ k: KSpace, acs: Range<Int>, source: String) throws {
        let advice = "train a model for this scanner with `metagrappa meta-train --data FILE… -o MODEL` and pass it with --model"
            + (k.coils == coils ? " (or pass --allow-other-array to use this one anyway)" : "")
        guard k.coils == coils else {
            throw MRIError(.invalidArgument,
                           "\(source) has \(k.coils) coils but the meta model is for the \(coils)-coil array '\(name)'; \(advice)")
        }
        let d = distance(to: Self.signature(of: k, acs: acs))
        guard d <= tolerance else {
            throw MRIError(.invalidArgument,
                           "\(source) does not look like the coil array '\(name)' the meta model was trained for (coil-correlation fingerprint distance \(String(format: "%.3f", d)) > tolerance \(String(format: "%.3f", tolerance))); \(advice)")
        }
    }
}
