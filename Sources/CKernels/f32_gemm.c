// fp32 Linear products from packed panels (`ck_f32_gemm` in ckernels.h): the inference
// path's fp32 products on AVX-512 CPUs. OpenBLAS packs the weight again on every call and
// zeroes the output before summing into it; at the model's shapes (k = 192 or 768, a few
// hundred rows a call) that overhead and its cache-blocking for large products cost about
// a fifth of the product time. Here the weight is packed once at load, the inputs are
// broadcast straight from their rows, and the bias is the sums' starting value.

#include <stdlib.h>
#include <string.h>

#include "ckernels.h"
#include "product_output.h"

enum { PANEL = 32, ROWS = 12 };

static ptrdiff_t panel_count(ptrdiff_t n) { return (n + PANEL - 1) / PANEL; }

ptrdiff_t ck_f32_packed_count(ptrdiff_t n, ptrdiff_t k) { return panel_count(n) * k * PANEL; }

// Panel p holds its 32 outputs' weights input by input: (p · k + input) · 32 + output % 32.
static ptrdiff_t packed_index(ptrdiff_t j, ptrdiff_t input, ptrdiff_t k) {
    return (j / PANEL * k + input) * PANEL + j % PANEL;
}

void ck_f32_pack(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw, float *packed) {
    memset(packed, 0, sizeof(float) * (size_t)ck_f32_packed_count(n, k));
    for (ptrdiff_t j = 0; j < n; j++)
        for (ptrdiff_t input = 0; input < k; input++) packed[packed_index(j, input, k)] = w[j * ldw + input];
}

void ck_f32_unpack(ptrdiff_t n, ptrdiff_t k, const float *packed, float *w) {
    for (ptrdiff_t j = 0; j < n; j++)
        for (ptrdiff_t input = 0; input < k; input++) w[j * k + input] = packed[packed_index(j, input, k)];
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define F32_TARGET __attribute__((target("avx512f")))

bool ck_f32_supported(void) { return __builtin_cpu_supports("avx512f"); }

// y[0..rows) × 32 columns of one panel: 24 accumulators, two weight vectors and a broadcast
// in the 32 zmm registers; `rows` is a constant at every call site.
F32_TARGET static inline __attribute__((always_inline))
void micro_tile(const int rows, ptrdiff_t k, const float *x, ptrdiff_t ldx, const float *w, const float *bias,
                float *y, ptrdiff_t ldy, __mmask16 low, __mmask16 high, ck_output output) {
    const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(low, bias) : _mm512_setzero_ps();
    const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(high, bias + 16) : _mm512_setzero_ps();
    __m512 sums[ROWS][2];
    for (int r = 0; r < rows; r++) {
        sums[r][0] = bias0;
        sums[r][1] = bias1;
    }
    for (ptrdiff_t input = 0; input < k; input++, w += PANEL) {
        const __m512 w0 = _mm512_load_ps(w), w1 = _mm512_load_ps(w + 16);
        for (int r = 0; r < rows; r++) {
            const __m512 value = _mm512_set1_ps(x[r * ldx + input]);
            sums[r][0] = _mm512_fmadd_ps(value, w0, sums[r][0]);
            sums[r][1] = _mm512_fmadd_ps(value, w1, sums[r][1]);
        }
    }
    for (int r = 0; r < rows; r++) ck_store_output32(y + r * ldy, sums[r][0], sums[r][1], low, high, output);
}

F32_TARGET static void gemm_avx512(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *x, ptrdiff_t ldx,
                                   const float *packed, const float *bias, float *y, ptrdiff_t ldy, ck_output output) {
    for (ptrdiff_t i = 0; i < m; i += ROWS) {
        const int rows = m - i < ROWS ? (int)(m - i) : ROWS;
        for (ptrdiff_t panel = 0; panel < panel_count(n); panel++) {
            const ptrdiff_t column = panel * PANEL, left = n - column;
            const float *w = packed + panel * k * PANEL, *b = bias ? bias + column : NULL;
            float *out = y + i * ldy + column;
            const float *in = x + i * ldx;
            const __mmask16 low = first_lanes(left), high = first_lanes(left - 16);
            switch (rows) {
#define TILE(R) case R: micro_tile(R, k, in, ldx, w, b, out, ldy, low, high, output); break;
                TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6) TILE(7) TILE(8)
                TILE(9) TILE(10) TILE(11) TILE(12)
#undef TILE
            }
        }
    }
}

void ck_f32_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *x, ptrdiff_t ldx, const float *packed,
                 const float *bias, float *y, ptrdiff_t ldy, ck_output output) {
    if (m <= 0 || n <= 0) return;
    if (!ck_f32_supported()) abort();  // callers check ck_f32_supported first
    gemm_avx512(m, n, k, x, ldx, packed, bias, y, ldy, output);
}

#else

bool ck_f32_supported(void) { return false; }

void ck_f32_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *x, ptrdiff_t ldx, const float *packed,
                 const float *bias, float *y, ptrdiff_t ldy, ck_output output) {
    abort();  // callers check ck_f32_supported first
}

#endif
