#include <stdlib.h>

#include "ckernels.h"
#include "bf16_format.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// Compiled for AVX512-BF16 function by function and chosen at run time, so the package
// needs no global -m flags and still runs on CPUs without it.
#define BF16_TARGET __attribute__((target("avx512f,avx512bf16")))

// Rows per micro-tile: 12 rows × 32 columns = 24 zmm accumulators, plus two weight
// registers and a broadcast, within the 32 zmm registers (on Zen 4, 8 rows ran ~10%
// slower and 14 spilled).
#define BF16_ROWS 12

// The CPU model is read by a constructor before main, so this is a plain lookup.
bool ck_bf16_supported(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
}

// The first `count` of 16 lanes (none when count ≤ 0, all when count ≥ 16).
static inline __mmask16 first_lanes(ptrdiff_t count) {
    return count >= 16 ? 0xffff : count <= 0 ? 0 : (__mmask16)((1u << count) - 1);
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

// y[0..rows) × 32 columns of one panel. `rows` is a constant at every call site, so the
// accumulators stay in registers.
BF16_TARGET static inline __attribute__((always_inline))
void micro_tile(const int rows, ptrdiff_t pairs, const uint32_t *a, ptrdiff_t stride, const uint16_t *w,
                const float *bias, float *y, ptrdiff_t ldy, __mmask16 low, __mmask16 high,
                bool accumulate) {
    __m512 sums[BF16_ROWS][2];
    for (int r = 0; r < rows; r++) sums[r][0] = sums[r][1] = _mm512_setzero_ps();
    for (ptrdiff_t p = 0; p < pairs; p++, a++, w += 2 * BF16_PANEL) {
        const __m512bh w0 = (__m512bh)_mm512_loadu_si512(w);
        const __m512bh w1 = (__m512bh)_mm512_loadu_si512(w + BF16_PANEL);
        for (int r = 0; r < rows; r++) {
            const __m512bh input = (__m512bh)_mm512_set1_epi32((int)a[r * stride]);
            sums[r][0] = _mm512_dpbf16_ps(sums[r][0], input, w0);
            sums[r][1] = _mm512_dpbf16_ps(sums[r][1], input, w1);
        }
    }
    const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(low, bias) : _mm512_setzero_ps();
    const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(high, bias + 16) : _mm512_setzero_ps();
    for (int r = 0; r < rows; r++) {
        float *out = y + r * ldy;
        __m512 v0 = _mm512_add_ps(sums[r][0], bias0), v1 = _mm512_add_ps(sums[r][1], bias1);
        if (accumulate) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(low, out));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(high, out + 16));
        }
        _mm512_mask_storeu_ps(out, low, v0);
        _mm512_mask_storeu_ps(out + 16, high, v1);
    }
}

// One row block against every panel, with `rows` turned into a constant.
BF16_TARGET static void row_block(int rows, ptrdiff_t n, ptrdiff_t pairs, const uint32_t *a,
                                  const uint16_t *packed, const float *bias, float *y, ptrdiff_t ldy,
                                  bool accumulate) {
    for (ptrdiff_t panel = 0; panel < bf16_panels(n); panel++) {
        const ptrdiff_t column = panel * BF16_PANEL, left = n - column;
        const __mmask16 low = first_lanes(left), high = first_lanes(left - 16);
        const uint16_t *w = packed + panel * pairs * 2 * BF16_PANEL;
        const float *b = bias ? bias + column : NULL;
        switch (rows) {
#define TILE(R) case R: micro_tile(R, pairs, a, pairs, w, b, y + column, ldy, low, high, accumulate); break;
            TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6) TILE(7) TILE(8)
            TILE(9) TILE(10) TILE(11) TILE(12)
#undef TILE
        }
    }
}

BF16_TARGET static void gemm_avx512(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                                    const float *x, ptrdiff_t ldx, const uint16_t *packed,
                                    const float *bias, float *y, ptrdiff_t ldy, bool accumulate) {
    const ptrdiff_t pairs = bf16_pairs(k);
    // One row block of inputs (18 KiB at k = 768) stays in L1 while the panels stream
    // from L2; blocking K as well measured no faster for k up to 3072.
    const size_t bytes = ((size_t)(BF16_ROWS * pairs) * sizeof(uint32_t) + 64) & ~(size_t)63;
    uint32_t *a = aligned_alloc(64, bytes);
    if (!a) abort();
    for (ptrdiff_t i = 0; i < m; i += BF16_ROWS) {
        const int rows = m - i < BF16_ROWS ? (int)(m - i) : BF16_ROWS;
        pack_rows(rows, k, x + i * ldx, ldx, a, pairs);
        row_block(rows, n, pairs, a, packed, bias, y + i * ldy, ldy, accumulate);
    }
    free(a);
}

void ck_bf16_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                  const float *x, ptrdiff_t ldx, const uint16_t *packed,
                  const float *bias, float *y, ptrdiff_t ldy, bool accumulate) {
    if (m <= 0 || n <= 0) return;
    if (ck_bf16_supported()) {
        gemm_avx512(m, n, k, x, ldx, packed, bias, y, ldy, accumulate);
    } else {
        ck_bf16_gemm_portable(m, n, k, x, ldx, packed, bias, y, ldy, accumulate);
    }
}

#else

bool ck_bf16_supported(void) { return false; }

void ck_bf16_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                  const float *x, ptrdiff_t ldx, const uint16_t *packed,
                  const float *bias, float *y, ptrdiff_t ldy, bool accumulate) {
    ck_bf16_gemm_portable(m, n, k, x, ldx, packed, bias, y, ldy, accumulate);
}

#endif
