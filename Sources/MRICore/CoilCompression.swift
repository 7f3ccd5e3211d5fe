import Compute
import Numerics

/// SVD coil compression (Buehrer et al. 2007; Huang et al. 2008): the `N` virtual coils
/// are the principal components of the physical coils' signals on the calibration lines,
/// `k_v = Uᴴ·k` with `U` the `coils × N` leading eigenvectors of the coil covariance.
/// Reconstructing `N < coils` virtual coils costs less (GRAPPA's calibration grows with
/// the cube of the coil count); ``expand(_:)`` maps the result back to the physical coils,
/// which keeps the data's shape (the part of the signal outside the `N` components is lost
/// on the estimated lines, so the caller puts the measured lines back as measured).
public struct CoilCompression: Sendable {
    /// Physical coils.
    public let coils: Int
    /// Virtual coils kept.
    public let virtualCoils: Int
    /// `U`, column-major `coils × virtualCoils`, strongest component first.
    public let basis: [Complex<Float>]
    /// Fraction of the calibration lines' energy the kept components hold.
    public let energyKept: Double

    /// Fits the compression on `lines` of `k` (normally the ACS block).
    public init(fitting k: KSpace, lines: Range<Int>, virtualCoils n: Int) throws {
        guard n >= 1, n <= k.coils else {
            throw MRIError(.invalidArgument, "the number of virtual coils must be in 1…\(k.coils) (the data has \(k.coils) coils), found \(n)",
                           setting: .virtualCoils)
        }
        guard !lines.isEmpty, lines.lowerBound >= 0, lines.upperBound <= k.ny else {
            throw MRIError(.invalidArgument, "coil compression needs calibration lines inside 0..<\(k.ny)")
        }
        let c = k.coils, samples = lines.count * k.nx
        // A (samples × coils, column-major: each coil's calibration lines are contiguous).
        var a = [Complex<Float>](repeating: .zero, count: samples * c)
        for coil in 0..<c {
            for (i, y) in lines.enumerated() {
                for x in 0..<k.nx { a[coil * samples + i * k.nx + x] = k[coil, y, x] }
            }
        }
        // AᴴA as the sum of fixed sample chunks' products, computed side by side (the same sum
        // whatever the number of workers).
        let chunks = max(1, min(Parallel.chunkCount, samples))
        var partial = [Complex<Float>](repeating: .zero, count: chunks * c * c)
        a.withUnsafeBufferPointer { ap in
            partial.withUnsafeMutableBufferPointer { pp in
                let (src, dst) = (UnsafeSendable(ap.baseAddress!), UnsafeSendable(pp.baseAddress!))
                Parallel.forEach(chunks) { i in
                    let range = (i * samples / chunks)..<((i + 1) * samples / chunks)
                    ComplexLinearAlgebra.gemm(.conjugateTranspose, .none, m: c, n: c, k: range.count, a: src.value + range.lowerBound,
                                              lda: samples, b: src.value + range.lowerBound, ldb: samples, c: dst.value + i * c * c, ldc: c)
                }
            }
        }
        var g = [Complex<Float>](repeating: .zero, count: c * c)
        for i in 0..<chunks { for j in 0..<(c * c) { g[j] += partial[i * c * c + j] } }
        var values = [Float](repeating: 0, count: c)
        let converged = g.withUnsafeMutableBufferPointer { gp in
            values.withUnsafeMutableBufferPointer { ComplexLinearAlgebra.hermitianEigen(a: gp.baseAddress!, n: c, lda: c, values: $0.baseAddress!) }
        }
        guard converged else { throw MRIError(.numerical, "coil compression: the coil covariance eigen-decomposition failed") }
        // g = AᴴA is the conjugate of the coil covariance Σ_s k_s·k_sᴴ, so its eigenvectors
        // are the conjugates of U's. cheev sorts ascending: the strongest component is last.
        var basis = [Complex<Float>](repeating: .zero, count: c * n)
        for j in 0..<n { for i in 0..<c { basis[j * c + i] = g[(c - 1 - j) * c + i].conjugate } }
        let total = values.reduce(0.0) { $0 + Double(max($1, 0)) }
        let kept = values.suffix(n).reduce(0.0) { $0 + Double(max($1, 0)) }
        (coils, virtualCoils, self.basis, energyKept) = (c, n, basis, total > 0 ? kept / total : 1)
    }

    /// `Uᴴ·k`: the virtual coils' k-space; with `lines`, only the ky lines it marks (the
    /// others are zero, as the compression of zero lines would be, without the arithmetic).
    public func compress(_ k: KSpace, lines: [Bool]? = nil) -> KSpace {
        precondition(k.coils == coils, "compression fitted for \(coils) coils")
        precondition(lines.map { $0.count == k.ny } ?? true, "one flag per ky line")
        // Per sample, the row of virtual coils is the row of coils times conj(U).
        let conjugate = basis.map { $0.conjugate }
        return mix(k, by: conjugate, transposed: false, into: virtualCoils, lines: lines)
    }

    /// `U·k_v`: virtual coils back to the physical ones.
    public func expand(_ k: KSpace) -> KSpace {
        precondition(k.coils == virtualCoils, "expansion of \(virtualCoils) virtual coils")
        return mix(k, by: basis, transposed: true, into: coils)
    }

    /// `out (samples × outCoils) = k (samples × inCoils) · op(m)`, column-major with each
    /// coil's samples contiguous; `m` is `coils × virtualCoils` (ld `coils`). With `lines`,
    /// only the samples of the marked ky lines (runs of consecutive lines, one product each).
    private func mix(_ k: KSpace, by m: [Complex<Float>], transposed: Bool, into outCoils: Int, lines: [Bool]? = nil) -> KSpace {
        let samples = k.ny * k.nx
        // Sample ranges to mix: runs of marked lines, or all samples cut into worker chunks.
        var ranges: [Range<Int>] = []
        if let lines {
            var y = 0
            while y < k.ny {
                guard lines[y] else { y += 1; continue }
                let start = y
                while y < k.ny && lines[y] { y += 1 }
                ranges.append((start * k.nx)..<(y * k.nx))
            }
        }
        var out = [Complex<Float>](repeating: .zero, count: outCoils * samples)
        k.data.withUnsafeBufferPointer { d in
            m.withUnsafeBufferPointer { u in
                out.withUnsafeMutableBufferPointer { o in
                    let (dp, up, op) = (UnsafeSendable(d.baseAddress!), UnsafeSendable(u.baseAddress!), UnsafeSendable(o.baseAddress!))
                    let product = { (range: Range<Int>) in
                        guard !range.isEmpty else { return }
                        ComplexLinearAlgebra.gemm(.none, transposed ? .transpose : .none, m: range.count, n: outCoils, k: k.coils,
                                                  a: dp.value + range.lowerBound, lda: samples, b: up.value, ldb: coils,
                                                  c: op.value + range.lowerBound, ldc: samples)
                    }
                    // Each worker owns whole rows of the result.
                    if lines == nil { Parallel.forEachChunk(samples, product) } else { Parallel.forEach(ranges.count) { product(ranges[$0]) } }
                }
            }
        }
        return try! KSpace(coils: outCoils, ny: k.ny, nx: k.nx, data: out)
    }
}
