import GRAPPA
import MRICore
import Numerics

/// A textbook GRAPPA written independently of the library, in Double: explicit
/// calibration rows, normal equations solved by Gaussian elimination with partial
/// pivoting, and application by a direct, zero-padded k-space convolution.
struct DirectGrappa {
    let geometry: GrappaKernelGeometry
    let lambda: Double

    typealias C = Complex<Double>

    var js: [Int] { Array(geometry.firstLine...geometry.lastLine) }
    var ds: [Int] { Array(-geometry.halfReadout...geometry.halfReadout) }

    /// Zero outside the matrix.
    static func sample(_ k: KSpace, _ c: Int, _ y: Int, _ x: Int) -> C {
        guard y >= 0, y < k.ny, x >= 0, x < k.nx else { return .zero }
        let z = k[c, y, x]
        return C(Double(z.real), Double(z.imaginary))
    }

    func reconstruct(_ k: KSpace, mask: SamplingMask) throws -> [C] {
        try apply(k, mask: mask, weights: calibrate(k, mask: mask))
    }

    /// Weights `[source][target]`, sources ordered (coil, line, readout), targets (coil, m).
    func calibrate(_ k: KSpace, mask: SamplingMask) throws -> [[C]] {
        let r = try mask.lattice().acceleration
        let acs = mask.autoCalibrationRegion()!
        let (js, ds) = (js, ds)
        func sample(_ c: Int, _ y: Int, _ x: Int) -> C { Self.sample(k, c, y, x) }
        // Calibration rows: every base y0 whose sources and targets lie in the ACS block.
        var rowsA: [[C]] = [], rowsB: [[C]] = []
        for y0 in acs where js.allSatisfy({ acs.contains(y0 + r * $0) }) && (1..<r).allSatisfy({ acs.contains(y0 + $0) }) {
            for x in geometry.halfReadout..<(k.nx - geometry.halfReadout) {
                var a: [C] = []
                for c in 0..<k.coils { for j in js { for d in ds { a.append(sample(c, y0 + r * j, x + d)) } } }
                rowsA.append(a)
                rowsB.append((0..<k.coils).flatMap { c in (1..<r).map { m in sample(c, y0 + m, x) } })
            }
        }
        let n = rowsA[0].count, nrhs = rowsB[0].count
        var g = [[C]](repeating: [C](repeating: .zero, count: n), count: n)
        var rhs = [[C]](repeating: [C](repeating: .zero, count: nrhs), count: n)
        for (a, b) in zip(rowsA, rowsB) {
            for i in 0..<n {
                let ai = a[i].conjugate
                for j in 0..<n { g[i][j] += ai * a[j] }
                for j in 0..<nrhs { rhs[i][j] += ai * b[j] }
            }
        }
        let trace = (0..<n).reduce(0.0) { $0 + g[$1][$1].real }
        for i in 0..<n { g[i][i] += C(lambda * trace / Double(n), 0) }
        return Self.solve(g, rhs)
    }

    /// Every line not acquired, estimated from the lattice lines around it.
    func apply(_ k: KSpace, mask: SamplingMask, weights w: [[C]]) throws -> [C] {
        let lattice = try mask.lattice()
        let r = lattice.acceleration, s = lattice.offset
        let (js, ds) = (js, ds)
        func sample(_ c: Int, _ y: Int, _ x: Int) -> C { Self.sample(k, c, y, x) }
        var out = k.data.map { C(Double($0.real), Double($0.imaginary)) }
        for y in 0..<k.ny where !mask.acquired[y] {
            let m = ((y - s) % r + r) % r, base = y - m
            for c in 0..<k.coils {
                for x in 0..<k.nx {
                    var acc = C.zero
                    var col = 0
                    for sc in 0..<k.coils { for j in js { for d in ds {
                        acc += w[col][c * (r - 1) + m - 1] * sample(sc, base + r * j, x + d)
                        col += 1
                    } } }
                    out[(c * k.ny + y) * k.nx + x] = acc
                }
            }
        }
        return out
    }

    /// Solves `G X = B` by Gaussian elimination with partial pivoting.
    static func solve(_ g0: [[C]], _ b0: [[C]]) -> [[C]] {
        var g = g0, b = b0
        let n = g.count
        for col in 0..<n {
            let p = (col..<n).max { g[$0][col].length < g[$1][col].length }!
            g.swapAt(col, p)
            b.swapAt(col, p)
            for row in (col + 1)..<n {
                let f = g[row][col] / g[col][col]
                for j in col..<n { g[row][j] -= f * g[col][j] }
                for j in 0..<b[0].count { b[row][j] -= f * b[col][j] }
            }
        }
        var x = b
        for row in stride(from: n - 1, through: 0, by: -1) {
            for j in 0..<b[0].count {
                var acc = b[row][j]
                for k in (row + 1)..<n { acc -= g[row][k] * x[k][j] }
                x[row][j] = acc / g[row][row]
            }
        }
        return x
    }
}
