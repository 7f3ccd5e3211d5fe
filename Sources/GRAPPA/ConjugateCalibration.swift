import Compute
import MRICore
import Numerics

/// Which coils of a k-space a GRAPPA kernel reads and which it estimates.
struct KernelCoils: Sendable {
    /// The sources: the first `sources` coils.
    let sources: Int
    /// The targets.
    let targets: Range<Int>
    /// Whether the second half of the sources are the first half's conjugate reflections
    /// (their ``ConjugateLeak`` positions are left out of the calibration).
    let conjugate: Bool

    /// Every coil a source and a target.
    static func all(_ coils: Int) -> KernelCoils { KernelCoils(sources: coils, targets: 0..<coils, conjugate: false) }
    /// `physical` coils followed by their reflections as sources; the physical ones targets.
    static func virtualConjugate(_ physical: Int) -> KernelCoils {
        KernelCoils(sources: 2 * physical, targets: 0..<physical, conjugate: true)
    }
}

/// The calibration positions that virtual conjugate coils would fit trivially.
///
/// At a few positions near the k-space centre a reflected source sample is the conjugate of one
/// of the position's own targets: the source line `base + o` reflects onto the target line
/// `base + t` and the readout sample `x + d` onto `x`. A fit that may use those rows learns
/// "copy the conjugate", which never applies to a missing line (the reflection of a measured
/// line is measured), and those rows, at the centre, carry much of the ACS energy, which the
/// ACS fit's residual, and so the automatic λ and the on/off choice, would be judged by. So
/// they are left out of the calibration (at the best λ their effect on the error is small:
/// Lab/scripts/virtual_conjugate_probe.py).
enum ConjugateLeak {
    /// The positions `(base, x)`, `x ∈ [hx, nx − hx)`, among `bases`, where a source at line
    /// offset `o ∈ sourceOffsets`, readout offset `d ∈ [−hx, hx]` reflects onto a target at
    /// line offset `t ∈ targetOffsets`, readout `x`.
    static func positions(ny: Int, nx: Int, bases: Range<Int>, sourceOffsets: [Int], targetOffsets: [Int],
                          halfReadout hx: Int) -> [(base: Int, x: Int)] {
        var out: [(base: Int, x: Int)] = []
        for base in bases {
            for x in hx..<(nx - hx) {
                let leaks = sourceOffsets.contains { o in
                    targetOffsets.contains { t in ConjugateSymmetry.mirror(base + o, count: ny) == base + t }
                } && (-hx...hx).contains { d in ConjugateSymmetry.mirror(x + d, count: nx) == x }
                if leaks { out.append((base, x)) }
            }
        }
        return out
    }
}

extension CalibrationNormalEquations {
    /// Removes the rows of `positions` from `AᴴA` and `AᴴB` (`AᴴA −= RᴴR`, `AᴴB −= RᴴT` with
    /// `R`, `T` those rows of `A` and `B`).
    mutating func removeRows(_ positions: [(base: Int, x: Int)], of k: KSpace, sourceOffsets: [Int], targetOffsets: [Int],
                             readout: Int, roles: KernelCoils) {
        guard !positions.isEmpty else { return }
        let hx = readout / 2, n = unknowns, m = positions.count
        var a = [Complex<Float>](repeating: .zero, count: m * n)
        var b = [Complex<Float>](repeating: .zero, count: m * targets)
        for (row, (base, x)) in positions.enumerated() {
            for c in 0..<roles.sources {
                for (j, o) in sourceOffsets.enumerated() {
                    for d in 0..<readout where x + d - hx >= 0 && x + d - hx < k.nx {
                        a[row + ((c * sourceOffsets.count + j) * readout + d) * m] = k[c, base + o, x + d - hx]
                    }
                }
            }
            for (q, (c, t)) in roles.targets.flatMap({ c in targetOffsets.map { (c, $0) } }).enumerated() {
                b[row + q * m] = k[c, base + t, x]
            }
        }
        a.withUnsafeBufferPointer { ap in
            ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: n, n: n, k: m, alpha: Complex(-1, 0), a: ap.baseAddress!, lda: m,
                                      b: ap.baseAddress!, ldb: m, beta: .one, c: &gram, ldc: n)
            ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: n, n: targets, k: m, alpha: Complex(-1, 0), a: ap.baseAddress!, lda: m,
                                      b: b, ldb: m, beta: .one, c: &rhs, ldc: n)
        }
    }
}

extension CalibrationNormalEquations {
    /// The ``meanDiagonal`` of the normal equations of `g` on `k`, summed directly: what a λ_rel
    /// chosen on fewer coils is carried over with, without the normal equations. `reflecting`:
    /// with the conjugate reflections of these lines of `k` as further coils
    /// (``MRICore/KSpace/appendingConjugateReflection(lines:)``), as
    /// ``init(k:acs:acceleration:geometry:virtualConjugate:)`` forms them, read where they lie.
    static func meanDiagonal(k: KSpace, acs: Range<Int>, acceleration r: Int, geometry g: GrappaKernelGeometry,
                             reflecting lines: [Bool]?) -> Double {
        let virtualConjugate = lines != nil
        let sources = (g.firstLine...g.lastLine).map { r * $0 }, targets = Array(1..<r)
        let lowest = acs.lowerBound - (sources + targets).min()!
        let bases = lowest..<(acs.upperBound - (sources + targets).max()!)
        let hx = g.halfReadout
        let excluded = virtualConjugate
            ? ConjugateLeak.positions(ny: k.ny, nx: k.nx, bases: bases, sourceOffsets: sources, targetOffsets: targets, halfReadout: hx)
            : []
        // |sample|² of coil c (a reflected one from `k.coils` on) at (y, x).
        let energy = { (c: Int, y: Int, x: Int) -> Double in
            guard c >= k.coils else { return Double(k[c, y, x].lengthSquared) }
            guard let my = ConjugateSymmetry.mirror(y, count: k.ny), lines?[my] == true,
                  let mx = ConjugateSymmetry.mirror(x, count: k.nx) else { return 0 }
            return Double(k[c - k.coils, my, mx].lengthSquared)
        }
        // Σ over x ∈ [hx, nx − hx), d ∈ [−hx, hx] of a row's |k(x + d)|² is Σ_u w(u)·|k(u)|², w(u)
        // the number of (x, d) with x + d = u; a reflected row reads w at the reflected index.
        let nx = k.nx
        let w = (0..<nx).map { u in Double((max(hx, u - hx)..<min(nx - hx, u + hx + 1)).count) }
        // The reflection is its own inverse: the index reflecting onto v is v's reflection.
        let reflectedWeight = (0..<nx).map { v in ConjugateSymmetry.mirror(v, count: nx).map { w[$0] } ?? 0 }
        let coils = virtualConjugate ? 2 * k.coils : k.coils
        var trace = 0.0
        for c in 0..<k.coils {
            for o in sources {
                for base in bases {
                    for u in 0..<nx { trace += w[u] * Double(k[c, base + o, u].lengthSquared) }
                    if virtualConjugate, let my = ConjugateSymmetry.mirror(base + o, count: k.ny), lines?[my] == true {
                        for v in 0..<nx { trace += reflectedWeight[v] * Double(k[c, my, v].lengthSquared) }
                    }
                }
            }
        }
        for c in 0..<coils {
            for o in sources {
                for (base, x) in excluded { for d in -hx...hx { trace -= energy(c, base + o, x + d) } }
            }
        }
        return trace / Double(coils * g.lines * g.readout)
    }
}
