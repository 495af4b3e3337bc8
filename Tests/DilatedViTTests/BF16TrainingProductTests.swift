import CKernels
import Testing
@testable import DilatedViT
@testable import DilatedViTTools
@testable import DilatedViTTraining

/// The BF16 kernels' training entry points: packing a weight from its transpose (for
/// `dX = dY·W`) and the weight-gradient product `dW (+)= dYᵀ·X`.
@Suite struct BF16TrainingProductTests {
    /// The transposed pack makes exactly the panels `ck_bf16_pack` makes of the transpose,
    /// padding included, from a row stride wider than the matrix.
    @Test(arguments: [1, 15, 16, 17, 31, 32, 33, 70], [1, 2, 3, 17, 64])
    func transposedPackingEqualsPackingTheTranspose(outputs n: Int, inputs k: Int) {
        let stride = n + 5
        let b = randomValues(k * stride, seed: UInt64(100 * n + k), scale: 3)   // k × n, row stride n + 5
        let transpose = (0..<n * k).map { b[($0 % k) * stride + $0 / k] }     // n × k
        let count = ck_bf16_packed_count(n, k)
        var expected = [UInt16](repeating: 0xffff, count: count), packed = expected
        ck_bf16_pack(n, k, transpose, k, &expected)
        ck_bf16_pack_transposed(n, k, b, stride, &packed)
        #expect(packed == expected)
    }

    /// `C (+)= Aᵀ·B` against double-precision sums, on shapes with partial tiles and panels,
    /// odd reductions and several chunks (the kernel packs 512 rows at a time).
    @Test(arguments: [1, 7, 13, 130], [1, 5, 513, 1100])
    func transposedProductMatchesDoublePrecision(m: Int, k: Int) {
        for n in [3, 33] {
            for kernel in BF16Kernel.available {
                for accumulate in [false, true] {
                    checkTransposedProduct(m: m, n: n, k: k, kernel: kernel, accumulate: accumulate)
                }
            }
        }
    }

    /// Splitting `C` into row bands (several at m = 130 on two or more cores) leaves every
    /// entry's sum unchanged, so training stays reproducible.
    @Test func rowBandsDoNotChangeTheSums() {
        let m = 130, n = 40, k = 1100
        let a = randomValues(k * m, seed: 7), b = randomValues(k * n, seed: 8)
        var banded = [Float](repeating: 0, count: m * n), whole = banded
        bf16TransposedProduct(m: m, n: n, k: k, a: a, lda: m, b: b, ldb: n, c: &banded, ldc: n, accumulate: false)
        ck_bf16_gemm_atb(m, n, k, a, m, b, n, &whole, n, false)
        #expect(banded == whole)
    }

    @Test func anEmptyReductionZeroesOrKeeps() {
        var c: [Float] = [1, 2, 3, 4]
        ck_bf16_gemm_atb(2, 2, 0, [], 2, [], 2, &c, 2, true)
        #expect(c == [1, 2, 3, 4])
        ck_bf16_gemm_atb(2, 2, 0, [], 2, [], 2, &c, 2, false)
        #expect(c == [0, 0, 0, 0])
    }

    private func checkTransposedProduct(m: Int, n: Int, k: Int, kernel: BF16Kernel, accumulate: Bool) {
        let seed = UInt64(m * 1_000_000 + k * 1000 + n)
        let a = randomValues(k * m, seed: seed, scale: 2)   // k × m
        let b = randomValues(k * n, seed: seed + 1)         // k × n
        let start = accumulate ? randomValues(m * n, seed: seed + 2) : [Float](repeating: .nan, count: m * n)
        var c = start
        kernel.transposedProduct(m: m, n: n, k: k, a: a, b: b, c: &c, accumulate: accumulate)
        // Cᵢⱼ = Σₜ Aᵀ[i][t]·Bᵀ[j][t]: the reference's x and w are the transposes.
        let aT = (0..<m * k).map { a[($0 % k) * m + $0 / k] }, bT = (0..<n * k).map { b[($0 % k) * n + $0 / k] }
        let worst = bf16BoundRatios(m: m, n: n, k: k, x: aT, w: bT,
                                    offset: { i, j in accumulate ? Double(start[i * n + j]) : 0 },
                                    value: { i, j in c[i * n + j] })
        let shape = "(\(k)×\(m))ᵀ · \(k)×\(n), \(kernel) kernel, accumulate \(accumulate)"
        #expect(worst.exact <= 1, "beyond the bf16 bound: \(shape)")
        #expect(worst.rounded <= 1, "not the exact sum of bf16 products: \(shape)")
    }
}
