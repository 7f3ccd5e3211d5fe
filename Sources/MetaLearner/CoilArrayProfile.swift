import Foundation
import MRICore

/// The coil array a model belongs to (METHOD.md §6–§7: no common θ₀ exists across
/// arrays, so a model records its array and refuses others).
///
/// The fingerprint is measured from data: the unit-norm vector of per-coil RMS over the
/// ACS block. It depends on where the coils sit relative to the object and on their
/// order, little on the anatomy, so the same array gives nearby signatures and another
/// array (or the same coils in another order) a distant one. ``tolerance`` is set at
/// training from the spread seen over the training and validation scans.
public struct CoilArrayProfile: Sendable, Equatable, Codable {
    /// A human-readable name of the array (e.g. "paper-32-loop-4x8").
    public let name: String
    /// Number of coils.
    public let coils: Int
    /// Mean unit-norm per-coil ACS RMS over the scans the model was trained on.
    public let signature: [Float]
    /// Largest accepted Euclidean distance between a scan's signature and ``signature``.
    public let tolerance: Float

    /// Creates a profile.
    public init(name: String, coils: Int, signature: [Float], tolerance: Float) {
        self.name = name
        self.coils = coils
        self.signature = signature
        self.tolerance = tolerance
    }

    /// The unit-norm per-coil RMS of `k` over the lines `acs`.
    public static func signature(of k: KSpace, acs: Range<Int>) -> [Float] {
        var rms = [Double](repeating: 0, count: k.coils)
        for c in 0..<k.coils {
            for y in acs { for x in 0..<k.nx { rms[c] += Double(k[c, y, x].lengthSquared) } }
            rms[c] = rms[c].squareRoot()
        }
        let norm = rms.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return rms.map { Float(norm > 0 ? $0 / norm : 0) }
    }

    /// Distance of a signature from this profile's.
    public func distance(to other: [Float]) -> Float {
        guard other.count == signature.count else { return .infinity }
        var s: Float = 0
        for (a, b) in zip(signature, other) { s += (a - b) * (a - b) }
        return s.squareRoot()
    }

    /// Throws a clear error, saying how to train a model for it, unless `k` comes from this array.
    public func check(_ k: KSpace, acs: Range<Int>, source: String) throws {
        let advice = "train a model for this scanner with `metagrappa meta-train --data FILE… -o MODEL` and pass it with --model"
        guard k.coils == coils else {
            throw MRIError(.invalidArgument,
                           "\(source) has \(k.coils) coils but the meta model is for the \(coils)-coil array '\(name)'; \(advice)")
        }
        let d = distance(to: Self.signature(of: k, acs: acs))
        guard d <= tolerance else {
            throw MRIError(.invalidArgument,
                           "\(source) does not look like the coil array '\(name)' the meta model was trained for (coil-energy fingerprint distance \(String(format: "%.3f", d)) > tolerance \(String(format: "%.3f", tolerance))); \(advice)")
        }
    }
}
