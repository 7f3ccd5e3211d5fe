import CBLAS

/// Single-precision real BLAS for the neural networks, row-major, with the work split
/// over ``Parallel/workers`` so that every output element is computed whole by one
/// worker (results do not depend on the number of workers).
public enum RealLinearAlgebra {
    /// `C ← α·op(A)·op(B) + β·C`, row-major, single-threaded.
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLASThreading.ensureSingleThreaded()
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// The same product with the columns of C split over the workers.
    public static func gemmSplittingColumns(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                                            a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let (pa, pb, pc) = (UnsafeSendable(a), UnsafeSendable(b), UnsafeSendable(c))
        Parallel.forEachChunk(n) { cols in
            guard !cols.isEmpty else { return }
            let bCols = transB ? pb.value + cols.lowerBound * ldb : pb.value + cols.lowerBound
            gemm(transA: transA, transB: transB, m: m, n: cols.count, k: k, alpha: alpha, a: pa.value, lda: lda,
                 b: bCols, ldb: ldb, beta: beta, c: pc.value + cols.lowerBound, ldc: ldc)
        }
    }

    /// Lower Cholesky factor of a symmetric positive definite `n × n` row-major matrix, in
    /// place (`spotrf`; the upper triangle is left as it was). False if not positive definite.
    public static func choleskyLower(_ a: UnsafeMutablePointer<Float>, n: Int) -> Bool {
        BLASThreading.lapack { LAPACKE_spotrf(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), Int32(n), a, Int32(n)) == 0 }
    }

    /// `B ← L⁻¹·B` (`left`) or `B ← B·L⁻¹` (not `left`) for a lower-triangular row-major
    /// `L` (`strsm`), single-threaded; `B` is `m × n` with leading dimension `ldb`.
    public static func solveLowerTriangular(left: Bool, m: Int, n: Int, l: UnsafePointer<Float>, ldl: Int,
                                            b: UnsafeMutablePointer<Float>, ldb: Int) {
        BLASThreading.ensureSingleThreaded()
        cblas_strsm(CblasRowMajor, left ? CblasLeft : CblasRight, CblasLower, CblasNoTrans, CblasNonUnit,
                    blasint(m), blasint(n), 1, l, blasint(ldl), b, blasint(ldb))
    }
}
