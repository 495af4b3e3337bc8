import CKernels

/// `c (=|+=) aᵀ · b` with bf16-rounded operands and fp32 sums: `c` is `m × n`, `a` is
/// `k × m` and `b` is `k × n`, row-major with the given row strides. This is a weight
/// gradient `dW += dYᵀ · X`, a reduction over `k` = batch × tokens rows, which the kernel
/// packs chunk by chunk (`ck_bf16_gemm_atb`). Row bands of `c` (`forEachRowBand`) run
/// concurrently; each entry is summed in the same order however the rows are split.
package func bf16TransposedProduct(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                   b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                                   accumulate: Bool) {
    guard m > 0, n > 0 else { return }
    forEachRowBand(m) { start, end in
        ck_bf16_gemm_atb(end - start, n, k, a + start, lda, b, ldb, c + start * ldc, ldc, accumulate)
    }
}
