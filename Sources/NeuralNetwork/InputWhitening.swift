import Compute

/// Whitening of a layer's unfolded input, a change of variables that leaves the network's
/// function unchanged but makes first-order training well conditioned.
///
/// The unfolded input `X` (`taps·in × n`) of RAKI's first layer is strongly correlated:
/// neighbouring coils and neighbouring readout samples carry nearly the same signal, so the
/// loss is a long narrow valley in the layer's weights and Adam crawls along it (a linear
/// RAKI network trailed GRAPPA of the same support after 1000 steps: BENCHMARKS.md). With
/// `G = X·Xᵀ/n + ε·mean(diag G)·I = L·Lᵀ`, the layer computes `W·X = (W·L)·(L⁻¹·X)`: training
/// `W' = W·L` on `L⁻¹·X` sees inputs with (nearly) isotropic covariance, and the weights of
/// the original layer are recovered exactly as `W = W'·L⁻¹`. The ridge `ε` keeps the
/// directions that hold only noise from being blown up to unit variance.
public struct InputWhitening: Sendable {
    /// The lower Cholesky factor `L`, divided by the input's RMS, row-major `size × size`.
    private let factor: [Float]
    /// Rows of the unfolded input (`taps · in`).
    public let size: Int

    /// The whitening of `columns` with relative ridge `ridge`; nil if the regularised Gram
    /// matrix is still not positive definite (an all-zero input).
    public init?(columns: Conv2D.Columns, ridge: Float) {
        let rows = columns.data.count / columns.count, n = columns.count
        var gram = [Float](repeating: 0, count: rows * rows)
        columns.data.withUnsafeBufferPointer { x in
            gram.withUnsafeMutableBufferPointer { g in
                RealLinearAlgebra.gemm(transA: false, transB: true, m: rows, n: rows, k: n, alpha: 1 / Float(n),
                                       a: x.baseAddress!, lda: n, b: x.baseAddress!, ldb: n, beta: 0,
                                       c: g.baseAddress!, ldc: rows)
            }
        }
        var trace: Float = 0
        for i in 0..<rows { trace += gram[i * rows + i] }
        let shift = ridge * trace / Float(rows)
        guard shift > 0, shift.isFinite else { return nil }
        for i in 0..<rows { gram[i * rows + i] += shift }
        guard gram.withUnsafeMutableBufferPointer({ RealLinearAlgebra.choleskyLower($0.baseAddress!, n: rows) }) else {
            return nil
        }
        // Keep the input's overall scale (so the initial weights and the learning rate
        // meet the magnitudes they would without whitening): whiten to variance mean(diag G).
        let rms = (trace / Float(rows)).squareRoot()
        for i in 0..<rows {
            for j in 0..<rows { gram[i * rows + j] = j <= i ? gram[i * rows + j] / rms : 0 }
        }
        factor = gram
        size = rows
    }

    /// `L⁻¹·X`: the unfolded input in the whitened basis (work split over output positions).
    public func whiten(_ columns: Conv2D.Columns) -> Conv2D.Columns {
        precondition(columns.data.count == size * columns.count, "unfolded input of another layer")
        var data = columns.data
        let n = columns.count
        factor.withUnsafeBufferPointer { l in
            data.withUnsafeMutableBufferPointer { x in
                let (lp, xp) = (UnsafeSendable(l.baseAddress!), UnsafeSendable(x.baseAddress!))
                Parallel.forEachChunk(n) { cols in
                    guard !cols.isEmpty else { return }
                    RealLinearAlgebra.solveLowerTriangular(left: true, m: size, n: cols.count, l: lp.value, ldl: size,
                                                           b: xp.value + cols.lowerBound, ldb: n)
                }
            }
        }
        return Conv2D.Columns(data: data, count: n, height: columns.height, width: columns.width,
                              validWidth: columns.validWidth)
    }

    /// Turns the weights `W'` learned on whitened input into the layer's own, `W = W'·L⁻¹`,
    /// in place; `weights` is the layer's `rows × size` weight matrix (biases unchanged).
    public func restore(weights: UnsafeMutablePointer<Float>, rows: Int) {
        factor.withUnsafeBufferPointer { l in
            RealLinearAlgebra.solveLowerTriangular(left: false, m: rows, n: size, l: l.baseAddress!, ldl: size,
                                                   b: weights, ldb: size)
        }
    }
}
