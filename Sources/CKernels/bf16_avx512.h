#ifndef CKERNELS_BF16_AVX512_H
#define CKERNELS_BF16_AVX512_H

// The AVX512-BF16 building blocks shared by the kernels: compiled for AVX512-BF16 function
// by function and chosen at run time, so the package needs no global -m flags and still
// runs on CPUs without it. Include only where `CKERNELS_AVX512` is defined.

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define CKERNELS_AVX512 1

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bf16_format.h"
#include "product_output.h"

#define BF16_TARGET __attribute__((target("avx512f,avx512bf16")))

// Rows per micro-tile: 12 rows × 32 columns = 24 zmm accumulators, plus two weight
// registers and a broadcast, within the 32 zmm registers (on Zen 4, 8 rows ran ~10%
// slower and 14 spilled).
#define BF16_ROWS 12

// (even[i], odd[i]) rounded to bf16 (nearest-even) as one 32-bit lane each, even in the
// low half: the pair `vdpbf16ps` multiplies, in both the panels and the broadcast inputs.
BF16_TARGET static inline __m512i bf16_interleave(__m512 even, __m512 odd) {
    const __m512i low = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(even));
    const __m512i high = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(odd));
    return _mm512_or_si512(low, _mm512_slli_epi32(high, 16));
}

// y[0..rows) × 32 columns of one panel. Row r's input pair p is
// `a[p · pair_stride + r · row_stride]`, the 32-bit value broadcast against the panel.
// `rows` and the strides are constants at every call site, so the accumulators stay in
// registers.
BF16_TARGET static inline __attribute__((always_inline))
void micro_tile(const int rows, ptrdiff_t pairs, const uint32_t *a, ptrdiff_t row_stride, ptrdiff_t pair_stride,
                const uint16_t *w, const float *bias, float *y, ptrdiff_t ldy, __mmask16 low, __mmask16 high,
                ck_output output) {
    // The sums start at the bias (a zero start is compiled to a memset of spilled
    // accumulators and reloads: ~4% of a tile at k = 192).
    const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(low, bias) : _mm512_setzero_ps();
    const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(high, bias + 16) : _mm512_setzero_ps();
    __m512 sums[BF16_ROWS][2];
    for (int r = 0; r < rows; r++) {
        sums[r][0] = bias0;
        sums[r][1] = bias1;
    }
    for (ptrdiff_t p = 0; p < pairs; p++, a += pair_stride, w += 2 * BF16_PANEL) {
        const __m512bh w0 = (__m512bh)_mm512_loadu_si512(w);
        const __m512bh w1 = (__m512bh)_mm512_loadu_si512(w + BF16_PANEL);
        for (int r = 0; r < rows; r++) {
            const __m512bh input = (__m512bh)_mm512_set1_epi32((int)a[r * row_stride]);
            sums[r][0] = _mm512_dpbf16_ps(sums[r][0], input, w0);
            sums[r][1] = _mm512_dpbf16_ps(sums[r][1], input, w1);
        }
    }
    for (int r = 0; r < rows; r++) ck_store_output32(y + r * ldy, sums[r][0], sums[r][1], low, high, output);
}

// One block of up to BF16_ROWS rows against every panel of `packed` (`pairs` pairs each),
// with `rows` turned into a constant. Inlined so each caller's strides are constants too.
BF16_TARGET static inline __attribute__((always_inline))
void row_block(int rows, ptrdiff_t n, ptrdiff_t pairs, const uint32_t *a, ptrdiff_t row_stride,
               ptrdiff_t pair_stride, const uint16_t *packed, const float *bias, float *y, ptrdiff_t ldy,
               ck_output output) {
    for (ptrdiff_t panel = 0; panel < bf16_panels(n); panel++) {
        const ptrdiff_t column = panel * BF16_PANEL, left = n - column;
        const __mmask16 low = first_lanes(left), high = first_lanes(left - 16);
        const uint16_t *w = packed + panel * pairs * 2 * BF16_PANEL;
        const float *b = bias ? bias + column : NULL;
        switch (rows) {
#define TILE(R) case R: micro_tile(R, pairs, a, row_stride, pair_stride, w, b, y + column, ldy, low, high, output); break;
            TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6) TILE(7) TILE(8)
            TILE(9) TILE(10) TILE(11) TILE(12)
#undef TILE
        }
    }
}

// `ck_bf16_pack_transposed` with AVX512-BF16 (the caller checked the CPU).
void bf16_pack_transposed_avx512(ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb, uint16_t *packed);

// A 64-byte-aligned buffer of at least `bytes` (never empty), for `free`; aborts when
// out of memory.
static inline void *bf16_aligned_alloc(size_t bytes) {
    void *buffer = aligned_alloc(64, (bytes + 64) & ~(size_t)63);
    if (!buffer) abort();
    return buffer;
}

#endif
#endif
