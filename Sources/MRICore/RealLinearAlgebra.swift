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
}
