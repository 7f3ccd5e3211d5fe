import CBLAS
import Numerics

/// Thin, typed wrappers of the BLAS/LAPACK routines the reconstructions use.
/// All matrices are column-major single-precision complex, described by a base
/// pointer and a leading dimension, as in BLAS.
public enum ComplexLinearAlgebra {
    public typealias Pointer = UnsafeMutablePointer<Complex<Float>>

    /// `C ← α·op(A)·op(B) + β·C` (column-major; `op` is identity, transpose or
    /// conjugate transpose).
    public static func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                            alpha: Complex<Float> = .one, a: UnsafePointer<Complex<Float>>, lda: Int,
                            b: UnsafePointer<Complex<Float>>, ldb: Int,
                            beta: Complex<Float> = .zero, c: Pointer, ldc: Int) {
        var al = alpha, be = beta
        cblas_cgemm(CblasColMajor, transA.cblas, transB.cblas, blasint(m), blasint(n), blasint(k),
                    &al, a, blasint(lda), b, blasint(ldb), &be, c, blasint(ldc))
    }

    /// Upper triangle of `C ← Aᴴ·A` for an `rows × cols` matrix `A` (a Gram matrix).
    public static func gramUpper(a: UnsafePointer<Complex<Float>>, rows: Int, cols: Int, lda: Int, c: Pointer, ldc: Int) {
        cblas_cherk(CblasColMajor, CblasUpper, CblasConjTrans, blasint(cols), blasint(rows),
                    1, a, blasint(lda), 0, c, blasint(ldc))
    }

    /// Solves `G·X = B` in place for a Hermitian positive-definite `G` (upper triangle
    /// used) by Cholesky (`cposv`). Returns false if `G` is not positive definite.
    public static func solveHermitianPositiveDefinite(g: Pointer, n: Int, ldg: Int, b: Pointer, nrhs: Int, ldb: Int) -> Bool {
        g.withMemoryRebound(to: lapack_complex_float_t.self, capacity: n * ldg) { gp in
            b.withMemoryRebound(to: lapack_complex_float_t.self, capacity: nrhs * ldb) { bp in
                LAPACKE_cposv(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), Int32(nrhs),
                              gp, Int32(ldg), bp, Int32(ldb)) == 0
            }
        }
    }

    /// Least-squares solution of `A·X ≈ B` by QR (`cgels`), `A` being `m × n` with
    /// `m ≥ n` and full rank. `A` is overwritten; the first `n` rows of `B` receive `X`.
    /// Returns false if `A` is rank-deficient.
    public static func leastSquaresQR(a: Pointer, m: Int, n: Int, lda: Int, b: Pointer, nrhs: Int, ldb: Int) -> Bool {
        a.withMemoryRebound(to: lapack_complex_float_t.self, capacity: n * lda) { ap in
            b.withMemoryRebound(to: lapack_complex_float_t.self, capacity: nrhs * ldb) { bp in
                LAPACKE_cgels(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "N")), Int32(m), Int32(n), Int32(nrhs),
                              ap, Int32(lda), bp, Int32(ldb)) == 0
            }
        }
    }

    /// How a matrix operand enters a product.
    public enum Transpose: Sendable {
        case none, transpose, conjugateTranspose

        var cblas: CBLAS_TRANSPOSE {
            switch self {
            case .none: CblasNoTrans
            case .transpose: CblasTrans
            case .conjugateTranspose: CblasConjTrans
            }
        }
    }
}
