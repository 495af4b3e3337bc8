#include <string.h>

#include "ckernels.h"
#include "ckernels_testing.h"
#include "bf16_avx512.h"

#ifdef CKERNELS_AVX512

// Rows of a and b per reduction chunk. A chunk's packed b (n/32 panels of 32 KiB) stays
// in L2 while every 12-column block of a sweeps it; the sums go to c once per chunk. At the
// model's shapes 512 rows measured 3-10% faster than 256 and the same as 1,024.
enum { ATB_CHUNK = 512 };

// Columns `0 ..< count` of `tokens` rows of a, rounded pair-major: pair p of column r
// (rows 2p and 2p+1) is `packed[p · BF16_ROWS + r]`, so a micro-tile's broadcasts for one
// pair are adjacent.
BF16_TARGET static void pack_columns(int count, ptrdiff_t tokens, const float *a, ptrdiff_t lda,
                                     uint32_t *packed) {
    const __mmask16 lanes = first_lanes(count);
    for (ptrdiff_t t = 0; t < tokens; t += 2, packed += BF16_ROWS) {
        const __m512 even = _mm512_maskz_loadu_ps(lanes, a + t * lda);
        const __m512 odd = t + 1 < tokens ? _mm512_maskz_loadu_ps(lanes, a + (t + 1) * lda) : _mm512_setzero_ps();
        _mm512_mask_storeu_epi32(packed, lanes, bf16_interleave(even, odd));
    }
}

BF16_TARGET static void gemm_atb_avx512(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                                        const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                                        float *c, ptrdiff_t ldc, bool accumulate) {
    uint16_t *panels = bf16_aligned_alloc((size_t)ck_bf16_packed_count(n, ATB_CHUNK) * sizeof(uint16_t));
    uint32_t *columns = bf16_aligned_alloc((size_t)(BF16_ROWS * ATB_CHUNK / 2) * sizeof(uint32_t));
    for (ptrdiff_t start = 0; start < k; start += ATB_CHUNK) {
        const ptrdiff_t tokens = k - start < ATB_CHUNK ? k - start : ATB_CHUNK, pairs = bf16_pairs(tokens);
        bf16_pack_transposed_avx512(n, tokens, b + start * ldb, ldb, panels);
        for (ptrdiff_t i = 0; i < m; i += BF16_ROWS) {
            const int rows = m - i < BF16_ROWS ? (int)(m - i) : BF16_ROWS;
            pack_columns(rows, tokens, a + start * lda + i, lda, columns);
            row_block(rows, n, pairs, columns, 1, BF16_ROWS, panels, NULL, c + i * ldc, ldc,
                      accumulate || start > 0 ? CK_ADD : CK_STORE);
        }
    }
    free(columns);
    free(panels);
}

#endif

void ck_bf16_gemm_atb(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                      float *c, ptrdiff_t ldc, bool accumulate) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        // An empty sum: c keeps its values, or becomes zero.
        if (!accumulate) for (ptrdiff_t i = 0; i < m; i++) memset(c + i * ldc, 0, sizeof(float) * (size_t)n);
        return;
    }
#ifdef CKERNELS_AVX512
    if (ck_bf16_supported()) {
        gemm_atb_avx512(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        return;
    }
#endif
    ck_bf16_gemm_atb_portable(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}
