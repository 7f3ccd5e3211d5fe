import Compute
import Foundation
import MRICore
import Numerics

/// The coil array a model belongs to (no common θ₀ exists across
/// arrays, so a model records its array and refuses others).
///
/// The fingerprint is measured from data: the magnitudes of the normalised coil-to-coil
/// correlations over the centre of the ACS block, `|Gᵢⱼ| / √(Gᵢᵢ Gⱼⱼ)` with `G = AᴴA`
/// (upper triangle). What identifies the array is each coil's set of most-correlated
/// partners (its physical neighbours): a scan is accepted when, for a large enough
/// fraction of coils, those sets agree with the profile's. The correlation values
/// themselves moved with the anatomy as much as with a permutation of the coils, and
/// per-coil energies with the object's position (both measured in BENCHMARKS.md). A
/// relabelling that keeps every coil's neighbours (a rotation of a ring-symmetric
/// array) is not detected.
public struct CoilArrayProfile: Sendable, Equatable, Codable {
    /// A human-readable name of the array (e.g. "paper-32-loop-4x8").
    public let name: String
    /// Number of coils.
    public let coils: Int
    /// Mean fingerprint (correlations) over the scans the model was trained and validated on.
    public let signature: [Float]
    /// Smallest accepted fraction of coils whose partner sets agree with the profile's.
    public let minimumAgreement: Float

    /// Creates a profile.
    public init(name: String, coils: Int, signature: [Float], minimumAgreement: Float) {
        self.name = name
        self.coils = coils
        self.signature = signature
        self.minimumAgreement = minimumAgreement
    }

    /// Partners compared per coil: 3, or all others for small arrays.
    public var partners: Int { min(3, coils - 1) }

    /// Readout samples (centred) over which the fingerprint is measured: where the ACS has
    /// the most signal, so that noise (which decorrelates the coils) moves it little.
    public static let readoutWindow = 64

    /// The fingerprint of `k` over the lines `acs` and the central ``readoutWindow``
    /// readout samples: `C(C−1)/2` values in [0, 1].
    public static func signature(of k: KSpace, acs: Range<Int>) -> [Float] {
        let c = k.coils, plane = k.ny * k.nx, width = min(k.nx, readoutWindow), x0 = (k.nx - width) / 2
        var gram = [Complex<Float>](repeating: .zero, count: c * c)
        k.data.withUnsafeBufferPointer { data in
            gram.withUnsafeMutableBufferPointer { g in
                // One GEMM per ACS line: G += A_yᴴ A_y over the window's samples.
                for y in acs {
                    let a = data.baseAddress! + y * k.nx + x0
                    ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: c, n: c, k: width, a: a, lda: plane,
                                              b: a, ldb: plane, beta: y == acs.lowerBound ? .zero : .one,
                                              c: g.baseAddress!, ldc: c)
                }
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

    /// Each coil's `count` most-correlated partners, from an upper-triangle fingerprint.
    static func partnerSets(_ signature: [Float], coils c: Int, count: Int) -> [Set<Int>] {
        var matrix = [Float](repeating: -1, count: c * c)
        var index = 0
        for j in 0..<c {
            for i in 0..<j {
                matrix[i * c + j] = signature[index]
                matrix[j * c + i] = signature[index]
                index += 1
            }
        }
        return (0..<c).map { i in
            Set((0..<c).filter { $0 != i }.sorted { (matrix[i * c + $0], -$0) > (matrix[i * c + $1], -$1) }.prefix(count))
        }
    }

    /// Fraction of coils whose partner sets in `other` agree with the profile's (partial
    /// agreement counts in proportion).
    public func agreement(with other: [Float]) -> Float {
        guard other.count == signature.count, coils >= 2 else { return other.count == signature.count ? 1 : 0 }
        let k = partners
        let mine = Self.partnerSets(signature, coils: coils, count: k), theirs = Self.partnerSets(other, coils: coils, count: k)
        let shared = zip(mine, theirs).reduce(0) { $0 + $1.0.intersection($1.1).count }
        return Float(shared) / Float(coils * k)
    }

    /// Throws a clear error unless `k` comes from this array: another coil count always
    /// (setting ``MRICore/MRIError/Setting/metaModel``: another model is needed), a
    /// fingerprint too far from the profile's unless `compareFingerprint` is false (setting
    /// ``MRICore/MRIError/Setting/coilArray``: another model, or the check waived).
    public func check(_ k: KSpace, acs: Range<Int>, source: String, compareFingerprint: Bool = true) throws {
        guard k.coils == coils else {
            throw MRIError(.invalidArgument,
                           "\(source) has \(k.coils) coils but the meta model is for the \(coils)-coil array '\(name)'; a model trained on this array's scans is needed",
                           setting: .metaModel)
        }
        guard compareFingerprint else { return }
        let a = agreement(with: Self.signature(of: k, acs: acs))
        guard a >= minimumAgreement else {
            throw MRIError(.invalidArgument,
                           "\(source) does not look like the coil array '\(name)' the meta model was trained for (coil-neighbour agreement \(String(format: "%.2f", a)) < \(String(format: "%.2f", minimumAgreement))); a model trained on this array's scans is needed",
                           setting: .coilArray)
        }
    }
}
