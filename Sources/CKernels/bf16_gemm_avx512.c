#include "ckernels.h"
#include "ckernels_testing.h"
#include "bf16_avx512.h"

#ifdef CKERNELS_AVX512

// The CPU model is read by a constructor before main, so this is a plain lookup.
bool ck_bf16_supported(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
}

// Rounds `rows` rows of x to bf16: row r's pair p is `a[r · stride + p]`, the 32-bit
// value the micro-kernel broadcasts. (Row-major needs no transpose, which measured
// 10-15% faster overall than a pair-major layout at n = 192.)
BF16_TARGET static void pack_rows(int rows, ptrdiff_t k, const float *x, ptrdiff_t ldx, uint32_t *a,
                                  ptrdiff_t stride) {
    for (int r = 0; r < rows; r++) {
        const float *source = x + r * ldx;
        uint32_t *target = a + r * stride;
        for (ptrdiff_t start = 0; start < k; start += 32) {
            const ptrdiff_t left = k - start;
            // Masked loads read zeros past k: an odd k's padding input.
            const __m512bh pairs = _mm512_cvtne2ps_pbh(
                _mm512_maskz_loadu_ps(first_lanes(left - 16), source + start + 16),
                _mm512_maskz_loadu_ps(first_lanes(left), source + start));
            _mm512_mask_storeu_epi32(target + start / 2, first_lanes((left + 1) / 2), (__m512i)pairs);
        }
    }
}

BF16_TARGET static void gemm_avx512(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                                    const float *x, ptrdiff_t ldx, const uint16_t *packed,
                                    const float *bias, float *y, ptrdiff_t ldy, ck_output output) {
    const ptrdiff_t pairs = bf16_pairs(k);
    // One row block of inputs (18 KiB at k = 768) stays in L1 while the panels stream
    // from L2; blocking K as well measured no faster for k up to 3072.
    uint32_t *a = bf16_aligned_alloc((size_t)(BF16_ROWS * pairs) * sizeof(uint32_t));
    for (ptrdiff_t i = 0; i < m; i += BF16_ROWS) {
        const int rows = m - i < BF16_ROWS ? (int)(m - i) : BF16_ROWS;
        pack_rows(rows, k, x + i * ldx, ldx, a, pairs);
        row_block(rows, n, pairs, a, pairs, 1, packed, bias, y + i * ldy, ldy, output);
    }
    free(a);
}

void ck_bf16_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                  const float *x, ptrdiff_t ldx, const uint16_t *packed,
                  const float *bias, float *y, ptrdiff_t ldy, ck_output output) {
    if (m <= 0 || n <= 0) return;
    if (ck_bf16_supported()) {
        gemm_avx512(m, n, k, x, ldx, packed, bias, y, ldy, output);
    } else {
        ck_bf16_gemm_portable(m, n, k, x, ldx, packed, bias, y, ldy, output);
    }
}

#else

bool ck_bf16_supported(void) { return false; }

void ck_bf16_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                  const float *x, ptrdiff_t ldx, const uint16_t *packed,
                  const float *bias, float *y, ptrdiff_t ldy, ck_output output) {
    ck_bf16_gemm_portable(m, n, k, x, ldx, packed, bias, y, ldy, output);
}

#endif
