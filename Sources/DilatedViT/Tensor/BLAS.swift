import COpenBLAS

/// Row-major single-precision GEMM: `C = alpha · op(A) · op(B) + beta · C`, where
/// `op(A)` is `m × k`, `op(B)` is `k × n` and `C` is `m × n`.
///
/// `lda`, `ldb`, `ldc` are the row strides of the matrices as stored. The library is the
/// one threading owner (`parallelFor`'s pool): OpenBLAS runs single-threaded and large products
/// are split into row bands of C on `parallelFor`. With OpenBLAS's own pool, its idle
/// threads spin (`sched_yield`) for a while after every call and steal the cores from
/// the attention and GELU loops that follow.
package func sgemm(transposeA: Bool = false, transposeB: Bool = false,
           m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int,
           b: UnsafePointer<Float>, ldb: Int,
           beta: Float = 0,
           c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    _ = blasIsSingleThreaded
    forEachRowBand(m) { start, end in
        cblas_sgemm(CblasRowMajor,
                    transposeA ? CblasTrans : CblasNoTrans,
                    transposeB ? CblasTrans : CblasNoTrans,
                    blasint(end - start), blasint(n), blasint(k), alpha,
                    transposeA ? a + start : a + start * lda, blasint(lda), b, blasint(ldb),
                    beta, c + start * ldc, blasint(ldc))
    }
}

/// Switches OpenBLAS to one thread, once per process, before the first product. This is
/// process-wide: code that calls OpenBLAS directly should go through `sgemm` too.
private let blasIsSingleThreaded: Bool = {
    openblas_set_num_threads(1)
    return true
}()
