import CFFTW
import Compute
import Foundation
import MRICore
import Numerics

/// The GRAPPA calibration's normal equations, `G = AᴴA` and `H = AᴴB`, computed without
/// forming the `positions × unknowns` matrix `A` (for a 32-coil 288² slice at R = 4 that
/// matrix is 5680 × 640 and `AᴴA` alone is ~9 GFLOP).
///
/// Every entry of `G` and `H` pairs two ACS lines (a source line, or a target line) at
/// readout offsets `d₁`, `d₂`: it is their cross-correlation at lag `δ = d₂ − d₁`, summed
/// over the calibration positions. The readout FFT turns all lags into one small
/// cross-spectral product per frequency, `S(f) = M(f)ᴴ M(f)`; `F(δ) = Σ_f S(f) e^{2πifδ/L}/L`
/// then gives the full-readout correlations, and subtracting the few terms in the
/// `readout/2` edge columns that the textbook window `x ∈ [hx, nx − hx)` leaves out makes
/// the result equal, up to rounding, to `AᴴA` and `AᴴB` of ``CalibrationSystem``.
@_spi(Lab) public struct CalibrationNormalEquations: Sendable {
    /// Number of unknowns per target, `coils · lines · readout`.
    @_spi(Lab) public let unknowns: Int
    /// Number of targets, `coils · (R − 1)`.
    @_spi(Lab) public let targets: Int
    /// `AᴴA`, `unknowns × unknowns`, column-major, both triangles.
    @_spi(Lab) public var gram: [Complex<Float>]
    /// `AᴴB`, `unknowns × targets`, column-major.
    @_spi(Lab) public var rhs: [Complex<Float>]
    /// The calibration positions: base lines `firstBase..<firstBase + bases` (each with its
    /// sources at `base + R·j` and targets at `base + m`) by readout positions
    /// `[readout/2, nx − readout/2)`.
    @_spi(Lab) public let firstBase: Int, bases: Int
    /// Calibration positions left out (``ConjugateLeak``; none without virtual conjugate coils).
    @_spi(Lab) public private(set) var excluded: [(base: Int, x: Int)] = []
    /// Number of calibration positions (rows of `A`).
    @_spi(Lab) public func rows(nx: Int, halfReadout hx: Int) -> Int { bases * (nx - 2 * hx) - excluded.count }

    /// `trace(AᴴA) / unknowns`: the scale a relative regularisation is relative to.
    @_spi(Lab) public var meanDiagonal: Double {
        var trace = 0.0
        for i in 0..<unknowns { trace += Double(gram[i * unknowns + i].real) }
        return trace / Double(unknowns)
    }

    /// `AᴴA = V S Vᴴ` and `Vᴴ AᴴB`: the eigenvectors `V` (column-major), the eigenvalues `S`
    /// ascending, and the right-hand sides in the eigenbasis, from which the ridge fit of
    /// every λ follows in closed form.
    @_spi(Lab) public func eigenbasis() throws -> (vectors: [Complex<Float>], values: [Float], projected: [Complex<Float>]) {
        let n = unknowns
        var vectors = gram
        var values = [Float](repeating: 0, count: n)
        let ok = vectors.withUnsafeMutableBufferPointer { a in
            values.withUnsafeMutableBufferPointer { ComplexLinearAlgebra.hermitianEigen(a: a.baseAddress!, n: n, lda: n, values: $0.baseAddress!) }
        }
        guard ok else { throw MRIError(.numerical, "eigendecomposition of the GRAPPA normal equations did not converge") }
        var projected = [Complex<Float>](repeating: .zero, count: n * targets)
        ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: n, n: targets, k: n, alpha: .one, a: vectors, lda: n, b: rhs, ldb: n,
                                  beta: .zero, c: &projected, ldc: n)
        return (vectors, values, projected)
    }

    /// GRAPPA's normal equations for a kernel of shape `g` at acceleration `r`.
    /// `virtualConjugate`: the second half of `k`'s coils are the first half's conjugate
    /// reflections; the targets are the first half's.
    @_spi(Lab) public init(k: KSpace, acs: Range<Int>, acceleration r: Int, geometry g: GrappaKernelGeometry,
                           virtualConjugate: Bool = false) {
        self.init(k: k, acs: acs, acceleration: r, geometry: g, roles: virtualConjugate ? .virtualConjugate(k.coils / 2) : .all(k.coils))
    }

    /// GRAPPA's normal equations with the coils of `k` in the given roles.
    init(k: KSpace, acs: Range<Int>, acceleration r: Int, geometry g: GrappaKernelGeometry, roles: KernelCoils) {
        self.init(k: k, acs: acs, sourceOffsets: (g.firstLine...g.lastLine).map { r * $0 }, targetOffsets: Array(1..<r),
                  readout: g.readout, roles: roles)
    }

    /// The normal equations of any line-to-line kernel: sources on the lines `base + o` for
    /// `o` in `sourceOffsets` (each over `readout` samples), targets on `base + o` for `o` in
    /// `targetOffsets`, over every base whose lines all lie in `acs`. Unknown index
    /// `((coil·sources) + j)·readout + d`; target index `coil·targets + t`. With
    /// `virtualConjugate` the second half of the coils are the first half's conjugate
    /// reflections: the targets are the first half's, and the positions where a reflected
    /// source is a target's conjugate are left out (``ConjugateLeak``).
    @_spi(Lab) public init(k: KSpace, acs: Range<Int>, sourceOffsets: [Int], targetOffsets: [Int], readout: Int,
                           virtualConjugate: Bool = false) {
        self.init(k: k, acs: acs, sourceOffsets: sourceOffsets, targetOffsets: targetOffsets, readout: readout,
                  roles: virtualConjugate ? .virtualConjugate(k.coils / 2) : .all(k.coils))
    }

    /// The same, with the coils of `k` in the given roles.
    init(k: KSpace, acs: Range<Int>, sourceOffsets: [Int], targetOffsets: [Int], readout: Int, roles: KernelCoils) {
        let coils = k.coils, nx = k.nx, ny = k.ny
        let hx = readout / 2, bx = readout, by = sourceOffsets.count, nt = targetOffsets.count
        let offsets = sourceOffsets + targetOffsets
        let lowest = acs.lowerBound - offsets.min()!
        let nb = acs.upperBound - 1 - offsets.max()! - lowest + 1
        (firstBase, bases) = (lowest, nb)
        let nSrc = roles.sources * by, nAll = nSrc + roles.targets.count * nt, block = nSrc * nAll
        let lags = 4 * hx + 1
        let length = HybridPlan.transformLength(atLeast: nx + 2 * hx)
        unknowns = nSrc * bx
        targets = roles.targets.count * nt

        // Column w of the line set: a source line (coil, y0 + source offset) or a target line.
        let columns: [(coil: Int, offset: Int)] = (0..<nAll).map { w in
            w < nSrc ? (w / by, sourceOffsets[w % by]) : (roles.targets.lowerBound + (w - nSrc) / nt, targetOffsets[(w - nSrc) % nt])
        }
        let spectrum = Self.acsSpectrum(k, acs: acs, length: length)
        let correlations = Self.correlations(spectrum: spectrum, columns: columns, sources: nSrc, bases: nb,
                                             firstLine: lowest - acs.lowerBound, acsLines: acs.count, coils: coils,
                                             length: length, lags: lags)
        // Edge columns: the first and last 2·hx readout positions.
        let edgeColumns = Array(Set(Array(0..<min(2 * hx, nx)) + Array(max(0, nx - 2 * hx)..<nx))).sorted()
        var edgeIndex = [Int](repeating: -1, count: nx)
        for (i, u) in edgeColumns.enumerated() { edgeIndex[u] = i }
        let edges = Self.edgeTerms(k, columns: columns, sources: nSrc, bases: nb, lowest: lowest,
                                   edgeColumns: edgeColumns, lags: lags, halfReadout: hx, ny: ny, nx: nx)

        // Entry at lag δ = d₂ − d₁ for source column p and line-set column w: the correlation
        // minus the edge terms u ∈ [0, hx + d₁) ∪ [nx − hx + d₁, nx) that the window excludes,
        // formed for a whole block of (w, p) at once and scattered to the unknowns (d₁, d₂).
        let n = unknowns, nq = targets, sourceBlock = nSrc * nSrc
        var gram = [Complex<Float>](repeating: .zero, count: n * n)
        var rhs = [Complex<Float>](repeating: .zero, count: n * nq)
        var corrected = [Complex<Float>](repeating: .zero, count: block)
        correlations.withUnsafeBufferPointer { cp in
            edges.withUnsafeBufferPointer { ep in
                corrected.withUnsafeMutableBufferPointer { vp in
                    // `corrected[range]` at `lag` with the edges the offset `d1` excludes.
                    func correct(lag: Int, d1: Int, _ range: Range<Int>) {
                        let v = vp.baseAddress!
                        (v + range.lowerBound).update(from: cp.baseAddress! + lag * block + range.lowerBound, count: range.count)
                        for u in Array(0..<(hx + d1)) + Array((nx - hx + d1)..<nx) {
                            let e = ep.baseAddress! + (edgeIndex[u] * lags + lag) * block
                            for i in range { v[i] -= e[i] }
                        }
                    }
                    for d1 in -hx...hx {
                        for d2 in -hx...hx {
                            correct(lag: d2 - d1 + 2 * hx, d1: d1, 0..<sourceBlock)
                            for p2 in 0..<nSrc {
                                let column = (p2 * bx + d2 + hx) * n + d1 + hx
                                for p1 in 0..<nSrc { gram[column + p1 * bx] = vp[p2 * nSrc + p1] }
                            }
                        }
                        // The targets pair with the sources at lag −d₁.
                        correct(lag: 2 * hx - d1, d1: d1, sourceBlock..<block)
                        for q in 0..<nq {
                            for p1 in 0..<nSrc { rhs[q * n + p1 * bx + d1 + hx] = vp[sourceBlock + q * nSrc + p1] }
                        }
                    }
                }
            }
        }
        self.gram = gram
        self.rhs = rhs
        if roles.conjugate {
            excluded = ConjugateLeak.positions(ny: ny, nx: nx, bases: lowest..<(lowest + nb), sourceOffsets: sourceOffsets,
                                               targetOffsets: targetOffsets, halfReadout: hx)
            removeRows(excluded, of: k, sourceOffsets: sourceOffsets, targetOffsets: targetOffsets, readout: readout, roles: roles)
        }
    }

    /// Row FFTs (length `length`, zero-padded) of every ACS line, as `[frequency][coil][line]`.
    private static func acsSpectrum(_ k: KSpace, acs: Range<Int>, length: Int) -> [Complex<Float>] {
        let na = acs.count, coils = k.coils, nx = k.nx, ny = k.ny, a0 = acs.lowerBound
        let fft = FFTPlanCache.shared.plan1D(n: length, howMany: na, stride: 1, distance: length, forward: true)
        let rows = UnsafeSendable(fftwf_alloc_complex(coils * na * length)!)
        defer { fftwf_free(rows.value) }
        var out = [Complex<Float>](repeating: .zero, count: length * coils * na)
        k.data.withUnsafeBufferPointer { kd in
            out.withUnsafeMutableBufferPointer { od in
                let src = UnsafeSendable(kd.baseAddress!), dst = UnsafeSendable(od.baseAddress!)
                Parallel.forEach(coils) { c in
                    let buf = UnsafeMutableRawPointer(rows.value + c * na * length)
                        .bindMemory(to: Complex<Float>.self, capacity: na * length)
                    buf.initialize(repeating: .zero, count: na * length)
                    for l in 0..<na { (buf + l * length).update(from: src.value + (c * ny + a0 + l) * nx, count: nx) }
                    let p = UnsafeMutableRawPointer(buf).assumingMemoryBound(to: fftwf_complex.self)
                    fftwf_execute_dft(fft.value, p, p)
                    for l in 0..<na {
                        for f in 0..<length { dst.value[(f * coils + c) * na + l] = buf[l * length + f] }
                    }
                }
            }
        }
        return out
    }

    /// `F(δ)[p, w] = Σ_y0 Σ_u conj(a_p(u)) a_w(u + δ)` over the full readout, for every lag
    /// `δ ∈ [−2hx, 2hx]` (target columns `w` only at `|δ| ≤ hx`, the rest zero), laid out
    /// `[lag][w][p]`. Frequencies are taken in fixed blocks so that the summation order does
    /// not depend on the number of threads.
    private static func correlations(spectrum: [Complex<Float>], columns: [(coil: Int, offset: Int)], sources: Int,
                                     bases: Int, firstLine: Int, acsLines: Int, coils: Int, length: Int,
                                     lags: Int) -> [Complex<Float>] {
        let nAll = columns.count, block = sources * nAll, chunk = 32, sourceBlock = sources * sources
        let halfLag = (lags - 1) / 2
        var out = [Complex<Float>](repeating: .zero, count: lags * block)
        var products = [Complex<Float>](repeating: .zero, count: chunk * block)
        var phases = [Complex<Float>](repeating: .zero, count: chunk * lags)
        spectrum.withUnsafeBufferPointer { sp in
            let spec = UnsafeSendable(sp.baseAddress!)
            for f0 in stride(from: 0, to: length, by: chunk) {
                let nf = min(chunk, length - f0)
                products.withUnsafeMutableBufferPointer { pp in
                    let prod = UnsafeSendable(pp.baseAddress!)
                    Parallel.forEach(nf) { i in
                        withUnsafeTemporaryAllocation(of: Complex<Float>.self, capacity: bases * nAll) { m in
                            let f = f0 + i
                            for (w, col) in columns.enumerated() {
                                let line = spec.value + (f * coils + col.coil) * acsLines + firstLine + col.offset
                                (m.baseAddress! + w * bases).update(from: line, count: bases)
                            }
                            ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: sources, n: nAll, k: bases,
                                                      a: m.baseAddress!, lda: bases, b: m.baseAddress!, ldb: bases,
                                                      c: prod.value + i * block, ldc: sources)
                        }
                    }
                }
                for i in 0..<nf {
                    for l in 0..<lags {
                        let angle = 2 * Double.pi * Double((f0 + i) * (l - halfLag)) / Double(length)
                        phases[i + l * nf] = Complex(Float(cos(angle) / Double(length)), Float(sin(angle) / Double(length)))
                    }
                }
                products.withUnsafeBufferPointer { pp in
                    phases.withUnsafeBufferPointer { ph in
                        out.withUnsafeMutableBufferPointer { op in
                            let (a, b, c) = (UnsafeSendable(pp.baseAddress!), UnsafeSendable(ph.baseAddress!),
                                             UnsafeSendable(op.baseAddress!))
                            // Source pairs at every lag; target columns at the lags −d₁ only.
                            Parallel.forEachChunk(block) { rows in
                                let all = rows.clamped(to: 0..<sourceBlock), middle = rows.clamped(to: sourceBlock..<block)
                                for (range, first, count) in [(all, 0, lags), (middle, halfLag / 2, halfLag + 1)] where !range.isEmpty {
                                    ComplexLinearAlgebra.gemm(.none, .none, m: range.count, n: count, k: nf,
                                                              a: a.value + range.lowerBound, lda: block, b: b.value + first * nf, ldb: nf,
                                                              beta: f0 == 0 ? .zero : .one,
                                                              c: c.value + first * block + range.lowerBound, ldc: block)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// `E(u, δ)[p, w] = Σ_y0 conj(a_p(u)) a_w(u + δ)` for the edge columns `u`, laid out
    /// `[edge column][lag][w][p]`; samples beyond the readout count as zero. Target columns `w`
    /// only at `|δ| ≤ hx`, the lags the right-hand sides read (the rest is left unset).
    private static func edgeTerms(_ k: KSpace, columns: [(coil: Int, offset: Int)], sources: Int, bases: Int,
                                  lowest: Int, edgeColumns: [Int], lags: Int, halfReadout hx: Int,
                                  ny: Int, nx: Int) -> [Complex<Float>] {
        let nAll = columns.count, block = sources * nAll
        // Every entry that is read is written by the products below (β = 0): no zero-filling first.
        let total = edgeColumns.count * lags * block
        var out = [Complex<Float>](unsafeUninitializedCapacity: total) { _, count in count = total }
        k.data.withUnsafeBufferPointer { kd in
            out.withUnsafeMutableBufferPointer { op in
                let (src, dst) = (UnsafeSendable(kd.baseAddress!), UnsafeSendable(op.baseAddress!))
                Parallel.forEach(edgeColumns.count * lags) { job in
                    let u = edgeColumns[job / lags], v = u + job % lags - 2 * hx
                    // The targets pair with the sources at lags −d₁ ∈ [−hx, hx] only.
                    let width = abs(v - u) <= hx ? nAll : sources
                    withUnsafeTemporaryAllocation(of: Complex<Float>.self, capacity: bases * (sources + nAll)) { m in
                        let x = m.baseAddress!, y = m.baseAddress! + bases * sources
                        for (w, col) in columns.prefix(width).enumerated() {
                            for i in 0..<bases {
                                let row = (col.coil * ny + lowest + i + col.offset) * nx
                                if w < sources { x[w * bases + i] = src.value[row + u] }
                                y[w * bases + i] = v >= 0 && v < nx ? src.value[row + v] : .zero
                            }
                        }
                        ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: sources, n: width, k: bases,
                                                  a: x, lda: bases, b: y, ldb: bases, c: dst.value + job * block, ldc: sources)
                    }
                }
            }
        }
        return out
    }
}
