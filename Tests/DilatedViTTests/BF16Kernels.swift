import CKernels
import CKernelsTesting
@testable import DilatedViT

/// Which BF16 product the tests run: the production entry point (AVX512-BF16 where the CPU
/// has it, otherwise its run-time fallback) or the portable fallback called directly, so
/// that the fallback is covered on an AVX512-BF16 machine too.
enum BF16Kernel: CustomStringConvertible {
    case dispatched, portable

    /// The kernels this CPU can tell apart: both where AVX512-BF16 runs, else the portable one.
    static var available: [BF16Kernel] { PackedBF16Weight.isAccelerated ? [.dispatched, .portable] : [.portable] }

    var description: String { self == .portable ? "portable" : "dispatched" }

    /// `y = x · wᵀ (+ bias) (+ y)` for `rows` rows of `x`, `w` being `outputs × inputs`.
    func product(_ x: [Float], rows: Int, weight w: Matrix, bias: [Float]?, into y: inout [Float],
                 accumulate: Bool = false) {
        y.withUnsafeMutableBufferPointer { out in
            (bias ?? []).withUnsafeBufferPointer { b in
                let bias = bias == nil ? nil : b.baseAddress
                switch self {
                case .dispatched:
                    PackedBF16Weight(w).apply(x, rows: rows, bias: bias, into: out.baseAddress!, as: accumulate ? .add : .store)
                case .portable:
                    // Packed again in a plain array: the portable loop needs no alignment.
                    var panels = [UInt16](repeating: 0, count: ck_bf16_packed_count(w.rows, w.columns))
                    ck_bf16_pack(w.rows, w.columns, w.values, w.columns, &panels)
                    ck_bf16_gemm_portable(rows, w.rows, w.columns, x, w.columns, panels, bias, out.baseAddress!,
                                          w.rows, accumulate ? CK_ADD : CK_STORE)
                }
            }
        }
    }

    /// `c (=|+=) aᵀ · b` with `a` `k × m` and `b` `k × n`, `c` `m × n`, all rows contiguous.
    func transposedProduct(m: Int, n: Int, k: Int, a: [Float], b: [Float], c: inout [Float], accumulate: Bool) {
        switch self {
        case .dispatched:
            bf16TransposedProduct(m: m, n: n, k: k, a: a, lda: m, b: b, ldb: n, c: &c, ldc: n, accumulate: accumulate)
        case .portable:
            ck_bf16_gemm_atb_portable(m, n, k, a, m, b, n, &c, n, accumulate)
        }
    }
}
