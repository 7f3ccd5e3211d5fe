import MRICore
import Numerics

/// The least-squares problem `A·W ≈ B` cut from the ACS block, formed explicitly (for
/// the QR solver; the Cholesky path builds `AᴴA` and `AᴴB` directly, see
/// ``CalibrationNormalEquations``). A row is one
/// calibration position `(y0, x)`: `A` holds its source samples (all coils, source
/// lines `y0 + R·j`, readout `x + d`), `B` its targets (lines `y0 + m`). Both column-major.
/// The coils' roles as ``KernelCoils`` says; with conjugate sources the rows of
/// ``ConjugateLeak`` are zero.
struct CalibrationSystem {
    let rows: Int
    let sources: Int
    let targets: Int
    let a: [Complex<Float>]
    let b: [Complex<Float>]

    init(k: KSpace, acs: Range<Int>, acceleration r: Int, geometry g: GrappaKernelGeometry, roles: KernelCoils? = nil) {
        let roles = roles ?? .all(k.coils)
        let hx = g.halfReadout
        let xs = k.nx - 2 * hx
        // Positions whose sources and targets (m = 1 … R−1) all lie inside the ACS block.
        let bases = Array(g.calibrationBases(acs: acs, acceleration: r))
        rows = bases.count * xs
        sources = roles.sources * g.lines * g.readout
        targets = roles.targets.count * (r - 1)
        var a = [Complex<Float>](repeating: .zero, count: rows * sources)
        var b = [Complex<Float>](repeating: .zero, count: rows * targets)
        let nx = k.nx, ny = k.ny, coils = roles.sources, rows = rows
        k.data.withUnsafeBufferPointer { kd in
            a.withUnsafeMutableBufferPointer { ap in
                for c in 0..<coils {
                    for (ji, j) in (g.firstLine...g.lastLine).enumerated() {
                        for d in 0..<g.readout {
                            let col = (c * g.lines + ji) * g.readout + d
                            for (bi, y0) in bases.enumerated() {
                                let src = kd.baseAddress! + (c * ny + y0 + r * j) * nx + d
                                (ap.baseAddress! + col * rows + bi * xs).update(from: src, count: xs)
                            }
                        }
                    }
                }
            }
            b.withUnsafeMutableBufferPointer { bp in
                for (t, c) in roles.targets.enumerated() {
                    for m in 1..<r {
                        let col = t * (r - 1) + m - 1
                        for (bi, y0) in bases.enumerated() {
                            let src = kd.baseAddress! + (c * ny + y0 + m) * nx + hx
                            (bp.baseAddress! + col * rows + bi * xs).update(from: src, count: xs)
                        }
                    }
                }
            }
        }
        if roles.conjugate, let first = bases.first {
            let leaks = ConjugateLeak.positions(ny: ny, nx: nx, bases: first..<(first + bases.count),
                                                sourceOffsets: (g.firstLine...g.lastLine).map { r * $0 },
                                                targetOffsets: Array(1..<r), halfReadout: hx)
            for (base, x) in leaks {
                let row = (base - first) * xs + x - hx
                for col in 0..<sources { a[col * rows + row] = .zero }
                for col in 0..<targets { b[col * rows + row] = .zero }
            }
        }
        self.a = a
        self.b = b
    }
}
