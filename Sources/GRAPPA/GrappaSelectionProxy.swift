import Compute
import Foundation
import MRICore
import Numerics

/// The lattice-line proxies of the candidate supports on one scan, and the validation rows
/// outside the ACS (the same for every candidate).
struct Proxy {
    /// One group per number of lines.
    let groups: [ProxyGroup]
    let coils: Int
    /// Validation targets `rows × coils` (the target coils), column-major.
    let targets: [Complex<Float>]
    let validationRows: Int
    let acceleration: Int

    /// `virtualConjugate`: the second half of `k`'s coils are the first half's conjugate
    /// reflections, sources only (the first half's lattice lines are predicted).
    /// `lines`: proxies are fitted for the candidates of that many lines only; the validation
    /// rows stay those of all `candidates`, so that errors compare with a selection of them all.
    init(_ k: KSpace, _ acquisition: Acquisition, candidates: [GrappaKernelGeometry], virtualConjugate: Bool,
         lines: Int? = nil) throws {
        let targetCoils = virtualConjugate ? k.coils / 2 : k.coils
        let r = acquisition.acceleration, acs = acquisition.autoCalibrationLines
        let offsets = Array(Set(candidates.flatMap { GrappaSelection.proxySourceOffsets($0, acceleration: r) })).sorted()
        let readout = candidates.map(\.readout).max()!
        acceleration = r
        coils = targetCoils
        // Validation: lattice bases whose target (a lattice line R below) lies outside the ACS
        // block and whose sources all lie in the matrix (near its edges a proxy, spanning
        // more lines than the kernel, would mostly test the zero padding).
        // With virtual conjugate coils, not where a source line is the target line reflected: a
        // lattice line's reflection is a lattice line, so the proxies, unlike the kernel, would
        // read their own target (conjugated) beside the samples they predict.
        let bases = (0..<k.ny).filter { y in
            acquisition.lattice.contains(y) && y + r < k.ny && !acs.contains(y + r)
                && y + offsets.min()! >= 0 && y + offsets.max()! < k.ny
                && !(virtualConjugate && offsets.contains { ConjugateSymmetry.mirror(y + $0, count: k.ny) == y + r })
        }
        let hx = readout / 2
        let stride = max(1, (bases.count * max(0, k.nx - 2 * hx) + GrappaSelection.validationPositions - 1)
                            / GrappaSelection.validationPositions)
        let xs = Array(Swift.stride(from: hx, to: k.nx - hx, by: stride))
        let rows = bases.count * xs.count
        validationRows = rows
        let n = k.coils * offsets.count * readout
        var sources = [Complex<Float>](repeating: .zero, count: rows * n)
        var targets = [Complex<Float>](repeating: .zero, count: rows * targetCoils)
        for (bi, y) in bases.enumerated() {
            for (xi, x) in xs.enumerated() {
                let row = bi * xs.count + xi
                for c in 0..<k.coils {
                    if c < targetCoils { targets[c * rows + row] = k[c, y + r, x] }
                    for (j, o) in offsets.enumerated() {
                        for d in 0..<readout { sources[(((c * offsets.count) + j) * readout + d) * rows + row] = k[c, y + o, x + d - hx] }
                    }
                }
            }
        }
        self.targets = targets
        groups = Set(candidates.map(\.lines)).sorted().filter { lines == nil || $0 == lines }.map { lines in
            ProxyGroup(k, acs: acs, acceleration: r, candidates: candidates.filter { $0.lines == lines },
                       virtualConjugate: virtualConjugate, validation: (sources, rows, offsets, readout))
        }
    }
}

/// The proxies of one number of lines. Their unknowns are ordered by readout distance
/// (|d| ≤ 1 first, then 2, then 3), so that each narrower candidate's normal equations are a
/// leading block of the widest's: one Cholesky factor per regularisation serves them all.
struct ProxyGroup {
    let lines: Int
    let candidates: [GrappaKernelGeometry]
    let unknowns: Int, targets: Int
    /// Normal equations in readout-distance order.
    let gram: [Complex<Float>], rhs: [Complex<Float>]
    /// Unknowns of each candidate (a prefix), their trace, and its validation sources
    /// (`rows × count`, column-major, in the same unknown order).
    let prefix: [GrappaKernelGeometry: (count: Int, trace: Double, sources: [Complex<Float>])]

    /// `validation` holds the validation rows' sources in the covering layout (`offsets` ×
    /// `readout` per coil), from which each candidate's columns are gathered once.
    init(_ k: KSpace, acs: Range<Int>, acceleration r: Int, candidates: [GrappaKernelGeometry], virtualConjugate: Bool,
         validation: (sources: [Complex<Float>], rows: Int, offsets: [Int], readout: Int)) {
        lines = candidates[0].lines
        self.candidates = candidates.sorted { $0.readout < $1.readout }
        let own = GrappaSelection.proxySourceOffsets(candidates[0], acceleration: r), width = self.candidates.last!.readout
        let system = CalibrationNormalEquations(k: k, acs: acs, sourceOffsets: own, targetOffsets: [r], readout: width,
                                                virtualConjugate: virtualConjugate)
        let hx = width / 2, coils = k.coils
        // (coil, line, readout distance d) of each unknown, narrowest readout ring first.
        let order = (0..<system.unknowns).sorted { a, b in
            let (da, db) = (abs(a % width - hx), abs(b % width - hx))
            return da != db ? da < db : a < b
        }
        let n = order.count, big = system.unknowns, t = system.targets
        var gram = [Complex<Float>](repeating: .zero, count: n * n)
        var rhs = [Complex<Float>](repeating: .zero, count: n * t)
        for (col, source) in order.enumerated() {
            for (row, other) in order.enumerated() { gram[col * n + row] = system.gram[source * big + other] }
            for q in 0..<t { rhs[q * n + col] = system.rhs[q * big + source] }
        }
        let coveringColumn = { (unknown: Int) -> Int in
            let (c, j, d) = (unknown / (own.count * width), (unknown / width) % own.count, unknown % width - hx)
            return (c * validation.offsets.count + validation.offsets.firstIndex(of: own[j])!) * validation.readout + d
                + validation.readout / 2
        }
        let rows = validation.rows
        var prefix: [GrappaKernelGeometry: (count: Int, trace: Double, sources: [Complex<Float>])] = [:]
        for g in self.candidates {
            let count = coils * own.count * g.readout
            let trace = (0..<count).reduce(0.0) { $0 + Double(gram[$1 * n + $1].real) }
            var sources = [Complex<Float>](repeating: .zero, count: rows * count)
            for (col, unknown) in order.prefix(count).enumerated() {
                let from = coveringColumn(unknown) * rows
                for i in 0..<rows { sources[col * rows + i] = validation.sources[from + i] }
            }
            prefix[g] = (count, trace, sources)
        }
        (unknowns, targets, self.gram, self.rhs, self.prefix) = (n, t, gram, rhs, prefix)
    }

    /// λ_rel of the widest candidate per λ_rel of `g` at the same absolute weight.
    func traceRatio(_ g: GrappaKernelGeometry) -> Double {
        let widest = prefix[candidates.last!]!, own = prefix[g]!
        return (own.trace / Double(own.count)) / (widest.trace / Double(widest.count))
    }

    /// Every candidate's validation error at the absolute weight `lambda · trace/n` of the widest.
    func errors(groupRegularization lambda: Double, proxy: Proxy) -> [(geometry: GrappaKernelGeometry, lambda: Double, error: Double)] {
        let widest = prefix[candidates.last!]!
        let absolute = lambda * widest.trace / Double(widest.count)
        var factor = gram
        for i in 0..<unknowns { factor[i * unknowns + i] += Complex(Float(absolute), 0) }
        let ok = factor.withUnsafeMutableBufferPointer { ComplexLinearAlgebra.choleskyFactor(g: $0.baseAddress!, n: unknowns, ldg: unknowns) }
        guard ok else { return [] }
        return candidates.compactMap { g in
            let own = prefix[g]!
            return error(g, factor: factor, proxy: proxy).map { (g, absolute / (own.trace / Double(own.count)), $0) }
        }
    }

    /// Every candidate's validation error at its own λ_rel `lambda` (a fixed regularisation).
    func errors(relativeRegularization lambda: Double, proxy: Proxy) -> [(geometry: GrappaKernelGeometry, lambda: Double, error: Double)] {
        candidates.compactMap { g in
            let own = prefix[g]!
            var factor = gram
            for i in 0..<own.count { factor[i * unknowns + i] += Complex(Float(lambda * own.trace / Double(own.count)), 0) }
            let ok = factor.withUnsafeMutableBufferPointer { ComplexLinearAlgebra.choleskyFactor(g: $0.baseAddress!, n: own.count, ldg: unknowns) }
            guard ok else { return nil }
            return error(g, factor: factor, proxy: proxy).map { (g, lambda, $0) }
        }
    }

    /// Mean squared error on the validation rows of `g`'s proxy, solved with the leading
    /// block of `factor`.
    private func error(_ g: GrappaKernelGeometry, factor: [Complex<Float>], proxy: Proxy) -> Double? {
        let own = prefix[g]!, n = own.count, rows = proxy.validationRows
        var weights = [Complex<Float>](repeating: .zero, count: n * targets)
        for q in 0..<targets { for i in 0..<n { weights[q * n + i] = rhs[q * unknowns + i] } }
        factor.withUnsafeBufferPointer { f in
            weights.withUnsafeMutableBufferPointer {
                ComplexLinearAlgebra.choleskySolve(factor: f.baseAddress!, n: n, ldf: unknowns, b: $0.baseAddress!, nrhs: targets, ldb: n)
            }
        }
        var residual = proxy.targets
        own.sources.withUnsafeBufferPointer { a in
            weights.withUnsafeBufferPointer { w in
                residual.withUnsafeMutableBufferPointer { c in
                    ComplexLinearAlgebra.gemm(.none, .none, m: rows, n: targets, k: n, alpha: Complex(-1, 0), a: a.baseAddress!, lda: rows,
                                              b: w.baseAddress!, ldb: n, beta: .one, c: c.baseAddress!, ldc: rows)
                }
            }
        }
        let sum = residual.reduce(0.0) { $0 + Double($1.lengthSquared) }
        return sum.isFinite ? sum / Double(rows * targets) : nil
    }
}
