import CBLAS
import Numerics

/// Thin, typed wrappers of the BLAS/LAPACK routines the reconstructions use.
/// All matrices are column-major single-precision complex, described by a base
/// pointer and a leading dimension, as in BLAS.
public enum ComplexLinearAlgebra {
    public typealias Pointer = UnsafeMutablePointer<Complex<Float>>

    /// `C ← α·op(A)·op(B) + β·C` (column-major; `op` is identity, transpose or
    /// conjugate transpose). `threeMultiplications` uses OpenBLAS's `cgemm3m` (three real
    /// products per complex one): measured faster for GRAPPA's application products,
    /// much slower for the calibration's small-k products, so it is the caller's choice.
    public static func gemm(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
                            alpha: Complex<Float> = .one, a: UnsafePointer<Complex<Float>>, lda: Int,
                            b: UnsafePointer<Complex<Float>>, ldb: Int,
                            beta: Complex<Float> = .zero, c: Pointer, ldc: Int, threeMultiplications: Bool = false) {
        BLASThreading.ensureSingleThreaded()
        var al = alpha, be = beta
        if threeMultiplications {
            cblas_cgemm3m(CblasColMajor, transA.cblas, transB.cblas, blasint(m), blasint(n), blasint(k),
                          &al, a, blasint(lda), b, blasint(ldb), &be, c, blasint(ldc))
        } else {
            cblas_cgemm(CblasColMajor, transA.cblas, transB.cblas, blasint(m), blasint(n), blasint(k),
                        &al, a, blasint(lda), b, blasint(ldb), &be, c, blasint(ldc))
        }
    }

    /// `C ← A·Aᴴ + β·C` on the upper triangle of the `n × n` matrix `C` (`cherk`), `A` being
    /// `n × k`: half the products of ``gemm`` for a Gram matrix.
    public static func gramUpper(n: Int, k: Int, a: UnsafePointer<Complex<Float>>, lda: Int, beta: Float = 0, c: Pointer, ldc: Int) {
        BLASThreading.ensureSingleThreaded()
        a.withMemoryRebound(to: Float.self, capacity: 2 * lda * k) { ap in
            c.withMemoryRebound(to: Float.self, capacity: 2 * ldc * n) { cp in
                cblas_cherk(CblasColMajor, CblasUpper, CblasNoTrans, blasint(n), blasint(k), 1, ap, blasint(lda), beta, cp, blasint(ldc))
            }
        }
    }

    /// `y ← α·x + y` over `count` contiguous elements.
    public static func axpy(count: Int, alpha: Complex<Float>, x: UnsafePointer<Complex<Float>>, y: Pointer) {
        BLASThreading.ensureSingleThreaded()
        var a = alpha
        cblas_caxpy(blasint(count), &a, x, 1, y, 1)
    }

    /// Cholesky factorisation `G = UᴴU` in place (`cpotrf`, upper triangle). Returns false
    /// if `G` is not positive definite.
    public static func choleskyFactor(g: Pointer, n: Int, ldg: Int) -> Bool {
        withPaddedCopy(g, columns: n, ld: ldg) { gp in
            BLASThreading.lapack { LAPACKE_cpotrf(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), gp, Int32(ldg)) == 0 }
        }
    }

    /// Solves `UᴴU·X = B` in place with a factor from ``choleskyFactor(g:n:ldg:)`` (`cpotrs`).
    public static func choleskySolve(factor: UnsafePointer<Complex<Float>>, n: Int, ldf: Int, b: Pointer, nrhs: Int, ldb: Int) {
        factor.withMemoryRebound(to: lapack_complex_float_t.self, capacity: n * ldf) { fp in
            b.withMemoryRebound(to: lapack_complex_float_t.self, capacity: nrhs * ldb) { bp in
                _ = BLASThreading.lapack {
                    LAPACKE_cpotrs(LAPACK_COL_MAJOR, CChar(UInt8(ascii: "U")), Int32(n), Int32(nrhs), fp, Int32(ldf), bp, Int32(ldb))
                }
            }
        }
    }

    /// Least-squares solution of `A·X ≈ B` by QR (`cgels`), `A` being `m × n` with
    /// `m ≥ n` and full rank. `A` is overwritten; the first `n` rows of `B` receive `X`.
    /// Returns false if `A` is rank-deficient.
    public static func leastSquaresQR(a: Pointer, m: Int, n: Int, lda: Int, b: Pointer, nrhs: Int, ldb: Int) -> Bool {
        let notTransposed = CChar(UInt8(ascii: "N"))
        return withPaddedCopy(a, columns: n, ld: lda) { ap in
            withPaddedCopy(b, columns: nrhs, ld: ldb) { bp in
                BLASThreading.lapack {
                    // The workspace padded as well (see cheevd).
                    var size = lapack_complex_float_t(real: 0, imag: 0)
                    guard LAPACKE_cgels_work(LAPACK_COL_MAJOR, notTransposed, Int32(m), Int32(n), Int32(nrhs), ap, Int32(lda), bp,
                                             Int32(ldb), &size, -1) == 0 else { return false }
                    let lwork = Int(size.real), slack = lda + 1024
                    let work = UnsafeMutablePointer<lapack_complex_float_t>.allocate(capacity: lwork + slack)
                    defer { work.deallocate() }
                    work.initialize(repeating: lapack_complex_float_t(real: 0, imag: 0), count: lwork + slack)
                    return LAPACKE_cgels_work(LAPACK_COL_MAJOR, notTransposed, Int32(m), Int32(n), Int32(nrhs), ap, Int32(lda), bp,
                                              Int32(ldb), work, Int32(lwork)) == 0
                }
            }
        }
    }

    /// Eigenvalues (ascending, into `values`) and orthonormal eigenvectors (overwriting `a`,
    /// column `i` for value `i`) of a Hermitian `n × n` matrix (`cheevd`, divide and conquer:
    /// about ten times faster than `cheev` at n = 224; upper triangle used).
    /// Returns false if the iteration did not converge.
    public static func hermitianEigen(a: Pointer, n: Int, lda: Int, values: UnsafeMutablePointer<Float>) -> Bool {
        cheevd(vectors: true, a: a, n: n, lda: lda, values: values)
    }

    /// Eigenvalues only (ascending, into `values`) of a Hermitian `n × n` matrix (`cheevd`
    /// without vectors; `a` is overwritten). Returns false if the iteration did not converge.
    public static func hermitianEigenvalues(a: Pointer, n: Int, lda: Int, values: UnsafeMutablePointer<Float>) -> Bool {
        cheevd(vectors: false, a: a, n: n, lda: lda, values: values)
    }

    /// `cheevd` with every array it reads padded (``withPaddedCopy(_:columns:ld:_:)``): the
    /// matrix, and the workspaces, which LAPACK's `clatrd` hands to OpenBLAS's `cgemv` too
    /// (the 0.3.21 Cooperlake `cgemv_n` read past LAPACKE's own workspace in 5 of 6 runs of
    /// the GRAPPA tests, with the matrix padded).
    private static func cheevd(vectors: Bool, a: Pointer, n: Int, lda: Int, values: UnsafeMutablePointer<Float>) -> Bool {
        let job = CChar(UInt8(ascii: vectors ? "V" : "N")), upper = CChar(UInt8(ascii: "U"))
        return withPaddedCopy(a, columns: n, ld: lda) { ap in
            BLASThreading.lapack {
                var (workSize, realSize, integerSize) = (lapack_complex_float_t(real: 0, imag: 0), Float(0), Int32(0))
                guard LAPACKE_cheevd_work(LAPACK_COL_MAJOR, job, upper, Int32(n), ap, Int32(lda), values,
                                          &workSize, -1, &realSize, -1, &integerSize, -1) == 0 else { return false }
                let (lwork, lrwork, liwork) = (Int(workSize.real), Int(realSize), Int(integerSize))
                let slack = lda + 1024
                let work = UnsafeMutablePointer<lapack_complex_float_t>.allocate(capacity: lwork + slack)
                let rwork = UnsafeMutablePointer<Float>.allocate(capacity: lrwork + slack)
                let iwork = UnsafeMutablePointer<Int32>.allocate(capacity: liwork + slack)
                let w = UnsafeMutablePointer<Float>.allocate(capacity: n + slack)
                defer { work.deallocate(); rwork.deallocate(); iwork.deallocate(); w.deallocate() }
                work.initialize(repeating: lapack_complex_float_t(real: 0, imag: 0), count: lwork + slack)
                rwork.initialize(repeating: 0, count: lrwork + slack)
                iwork.initialize(repeating: 0, count: liwork + slack)
                w.initialize(repeating: 0, count: n + slack)
                let status = LAPACKE_cheevd_work(LAPACK_COL_MAJOR, job, upper, Int32(n), ap, Int32(lda), w,
                                                 work, Int32(lwork), rwork, Int32(lrwork), iwork, Int32(liwork))
                values.update(from: w, count: n)
                return status == 0
            }
        }
    }

    /// Runs `body` on a copy of the `columns × ld` matrix at `matrix` that is followed by
    /// `ld + 1024` zero elements, then copies the result back (LAPACK's workspaces are
    /// padded alike where the routine takes them, ``cheevd(vectors:a:n:lda:values:)``). OpenBLAS 0.3.21's complex
    /// `gemv` kernels, which LAPACK calls inside (e.g. `cheevd → chetrd → clatrd → cgemv_n`),
    /// read past the end of the matrix they are given: on a machine with AVX-512, about one
    /// run in four of 400 single-threaded `cheevd` calls of order 50…350 segfaulted when the
    /// matrix ended near the end of a page, with every OpenBLAS kernel set; with `ld + 64`
    /// elements of slack, none in 12 runs (64 alone were not enough). The copy is O(n²),
    /// against LAPACK's O(n³).
    static func withPaddedCopy<R>(_ matrix: Pointer, columns: Int, ld: Int,
                                  _ body: (UnsafeMutablePointer<lapack_complex_float_t>) -> R) -> R {
        let count = columns * ld
        let padded = UnsafeMutablePointer<Complex<Float>>.allocate(capacity: count + ld + 1024)
        defer { padded.deallocate() }
        padded.initialize(from: matrix, count: count)
        (padded + count).initialize(repeating: .zero, count: ld + 1024)
        let result = padded.withMemoryRebound(to: lapack_complex_float_t.self, capacity: count) { body($0) }
        matrix.update(from: padded, count: count)
        return result
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
