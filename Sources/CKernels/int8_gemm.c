// Int8 Linear products (`ck_int8_gemm` in ckernels.h): weights quantised per output channel
// when packed, inputs per row as they are packed, products summed exactly in int32 with
// AVX512-VNNI's `vpdpbusd` (chosen at run time; a portable loop elsewhere).
//
// `vpdpbusd` multiplies unsigned by signed bytes, so each input row is stored as q + 128
// (q in −127…127) and 128 · Σₖ w[j][k] is taken off each sum afterwards: exact, since the
// int32 sums cannot overflow (k · 255 · 127 < 2³¹ for k < 66,000).

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ckernels.h"
#include "ckernels_testing.h"
#include "product_output.h"

enum { PANEL = 32, QUAD = 4, ROWS = 12 };

static ptrdiff_t quads(ptrdiff_t k) { return (k + QUAD - 1) / QUAD; }
static ptrdiff_t panel_count(ptrdiff_t n) { return (n + PANEL - 1) / PANEL; }

ptrdiff_t ck_int8_packed_count(ptrdiff_t n, ptrdiff_t k) { return panel_count(n) * quads(k) * PANEL * QUAD; }

// Panel p, quad q: 32 outputs × 4 consecutive k, output-major, so one 128-byte stretch is
// the two zmm operands of a step.
static ptrdiff_t packed_index(ptrdiff_t j, ptrdiff_t kk, ptrdiff_t k) {
    return ((j / PANEL * quads(k) + kk / QUAD) * PANEL + j % PANEL) * QUAD + kk % QUAD;
}

void ck_int8_pack(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw, int8_t *packed, float *scales,
                  int32_t *sums) {
    memset(packed, 0, (size_t)ck_int8_packed_count(n, k));
    for (ptrdiff_t j = 0; j < n; j++) {
        const float *row = w + j * ldw;
        float largest = 0;
        for (ptrdiff_t kk = 0; kk < k; kk++) largest = fmaxf(largest, fabsf(row[kk]));
        const float scale = largest > 0 ? largest / 127 : 1, inverse = 1 / scale;
        int32_t sum = 0;
        for (ptrdiff_t kk = 0; kk < k; kk++) {
            long q = lrintf(row[kk] * inverse);
            q = q > 127 ? 127 : q < -127 ? -127 : q;
            packed[packed_index(j, kk, k)] = (int8_t)q;
            sum += (int32_t)q;
        }
        scales[j] = scale;
        sums[j] = sum;
    }
}

void ck_int8_unpack(ptrdiff_t n, ptrdiff_t k, const int8_t *packed, const float *scales, float *w) {
    for (ptrdiff_t j = 0; j < n; j++)
        for (ptrdiff_t kk = 0; kk < k; kk++) w[j * k + kk] = (float)packed[packed_index(j, kk, k)] * scales[j];
}

// The scale of a row whose largest magnitude is `largest`, and its reciprocal: one rule for
// both paths, so they quantise alike.
static inline float row_scale(float largest, float *inverse) {
    const float scale = largest > 0 ? largest / 127 : 1;
    *inverse = 127 / (largest > 0 ? largest : 127);
    return scale;
}

static inline uint8_t quantise(float x, float inverse) {
    long q = lrintf(x * inverse);
    return (uint8_t)((q > 127 ? 127 : q < -127 ? -127 : q) + 128);
}

void ck_int8_gemm_portable(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *x, ptrdiff_t ldx,
                           const int8_t *packed, const float *scales, const int32_t *sums, const float *bias,
                           float *y, ptrdiff_t ldy, ck_output output) {
    uint8_t *a = malloc((size_t)(quads(k) * QUAD));
    for (ptrdiff_t i = 0; i < m; i++) {
        const float *row = x + i * ldx;
        float largest = 0, inverse;
        for (ptrdiff_t kk = 0; kk < k; kk++) largest = fmaxf(largest, fabsf(row[kk]));
        const float scale = row_scale(largest, &inverse);
        for (ptrdiff_t kk = 0; kk < k; kk++) a[kk] = quantise(row[kk], inverse);
        for (ptrdiff_t j = 0; j < n; j++) {
            int32_t sum = 0;
            for (ptrdiff_t kk = 0; kk < k; kk++) sum += (int32_t)a[kk] * packed[packed_index(j, kk, k)];
            ck_store_output(&y[i * ldy + j], fmaf((float)(sum - 128 * sums[j]), scale * scales[j], bias ? bias[j] : 0),
                            output);
        }
    }
    free(a);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))

bool ck_int8_supported(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vnni");
}

// Quantises `rows` rows of x into `a` (row r at `a + r · stride`, padded with 128) and
// their scales.
VNNI_TARGET static void pack_rows(int rows, ptrdiff_t k, const float *x, ptrdiff_t ldx, uint8_t *a,
                                  ptrdiff_t stride, float *scales) {
    for (int r = 0; r < rows; r++) {
        const float *row = x + r * ldx;
        __m512 largest = _mm512_setzero_ps();
        for (ptrdiff_t s = 0; s < k; s += 16)
            largest = _mm512_max_ps(largest, _mm512_abs_ps(_mm512_maskz_loadu_ps(first_lanes(k - s), row + s)));
        float inverse;
        scales[r] = row_scale(_mm512_reduce_max_ps(largest), &inverse);
        const __m512 factor = _mm512_set1_ps(inverse);
        const __m128i offset = _mm_set1_epi8((char)0x80);
        uint8_t *target = a + r * stride;
        for (ptrdiff_t s = 0; s < stride; s += 16) {
            // Rounds to nearest even, as lrintf does in the default rounding mode. |x · 127 /
            // largest| < 127.5, so the values are already within ±127 and the saturating
            // narrowing clamps nothing (for finite x); flipping the top bit adds 128.
            const __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(first_lanes(k - s), row + s), factor));
            _mm_storeu_si128((__m128i *)(target + s), _mm_xor_si128(_mm512_cvtsepi32_epi8(q), offset));
        }
    }
}

// y[0..rows) × 32 columns of one panel; `rows` is a constant at every call site.
VNNI_TARGET static inline __attribute__((always_inline))
void micro_tile(const int rows, ptrdiff_t q4, const uint8_t *a, ptrdiff_t stride, const int8_t *w,
                const float *row_scales, const float *scales, const int32_t *sums, const float *bias,
                float *y, ptrdiff_t ldy, __mmask16 low, __mmask16 high, ck_output output) {
    // The sums start at −128·Σw, the unsigned inputs' offset (exact in int32; a zero start
    // is compiled to a memset of spilled accumulators).
    const __m512i start0 = _mm512_sub_epi32(_mm512_setzero_si512(),
                                            _mm512_slli_epi32(_mm512_maskz_loadu_epi32(low, sums), 7));
    const __m512i start1 = _mm512_sub_epi32(_mm512_setzero_si512(),
                                            _mm512_slli_epi32(_mm512_maskz_loadu_epi32(high, sums + 16), 7));
    __m512i acc[ROWS][2];
    for (int r = 0; r < rows; r++) {
        acc[r][0] = start0;
        acc[r][1] = start1;
    }
    for (ptrdiff_t p = 0; p < q4; p++, w += PANEL * QUAD) {
        const __m512i w0 = _mm512_loadu_si512(w), w1 = _mm512_loadu_si512(w + 64);
        for (int r = 0; r < rows; r++) {
            int32_t four;
            memcpy(&four, a + r * stride + p * QUAD, sizeof four);
            const __m512i input = _mm512_set1_epi32(four);
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], input, w0);
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], input, w1);
        }
    }
    const __m512 scale0 = _mm512_maskz_loadu_ps(low, scales), scale1 = _mm512_maskz_loadu_ps(high, scales + 16);
    const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(low, bias) : _mm512_setzero_ps();
    const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(high, bias + 16) : _mm512_setzero_ps();
    for (int r = 0; r < rows; r++) {
        const __m512 row = _mm512_set1_ps(row_scales[r]);
        // sum · (row scale · column scale) + bias in one rounding, as the portable loop's fmaf.
        const __m512 v0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][0]), _mm512_mul_ps(row, scale0), bias0);
        const __m512 v1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[r][1]), _mm512_mul_ps(row, scale1), bias1);
        ck_store_output32(y + r * ldy, v0, v1, low, high, output);
    }
}

VNNI_TARGET static inline __attribute__((always_inline))
void row_block(int rows, ptrdiff_t n, ptrdiff_t k, const uint8_t *a, ptrdiff_t stride, const float *row_scales,
               const int8_t *packed, const float *scales, const int32_t *sums, const float *bias, float *y,
               ptrdiff_t ldy, ck_output output) {
    for (ptrdiff_t panel = 0; panel < panel_count(n); panel++) {
        const ptrdiff_t column = panel * PANEL, left = n - column;
        const int8_t *w = packed + panel * quads(k) * PANEL * QUAD;
        const float *b = bias ? bias + column : NULL;
#define TILE(R) micro_tile(R, quads(k), a, stride, w, row_scales, scales + column, sums + column, b, \
                           y + column, ldy, first_lanes(left), first_lanes(left - 16), output)
        switch (rows) {
        case 12: TILE(12); break; case 11: TILE(11); break; case 10: TILE(10); break;
        case 9: TILE(9); break; case 8: TILE(8); break; case 7: TILE(7); break;
        case 6: TILE(6); break; case 5: TILE(5); break; case 4: TILE(4); break;
        case 3: TILE(3); break; case 2: TILE(2); break; default: TILE(1); break;
        }
#undef TILE
    }
}

VNNI_TARGET static void gemm_vnni(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *x, ptrdiff_t ldx,
                                  const int8_t *packed, const float *scales, const int32_t *sums,
                                  const float *bias, float *y, ptrdiff_t ldy, ck_output output) {
    // Rows padded to whole 16-byte stores (the padding quantises zeros: 128).
    const ptrdiff_t stride = (quads(k) * QUAD + 15) / 16 * 16;
    uint8_t *a = aligned_alloc(64, (size_t)(ROWS * stride + 64) / 64 * 64);
    float row_scales[ROWS];
    for (ptrdiff_t i = 0; i < m; i += ROWS) {
        const int rows = m - i < ROWS ? (int)(m - i) : ROWS;
        pack_rows(rows, k, x + i * ldx, ldx, a, stride, row_scales);
        row_block(rows, n, k, a, stride, row_scales, packed, scales, sums, bias, y + i * ldy, ldy, output);
    }
    free(a);
}

void ck_int8_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *x, ptrdiff_t ldx, const int8_t *packed,
                  const float *scales, const int32_t *sums, const float *bias, float *y, ptrdiff_t ldy,
                  ck_output output) {
    if (m <= 0 || n <= 0) return;
    if (ck_int8_supported()) {
        gemm_vnni(m, n, k, x, ldx, packed, scales, sums, bias, y, ldy, output);
    } else {
        ck_int8_gemm_portable(m, n, k, x, ldx, packed, scales, sums, bias, y, ldy, output);
    }
}

#else

bool ck_int8_supported(void) { return false; }

void ck_int8_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *x, ptrdiff_t ldx, const int8_t *packed,
                  const float *scales, const int32_t *sums, const float *bias, float *y, ptrdiff_t ldy,
                  ck_output output) {
    ck_int8_gemm_portable(m, n, k, x, ldx, packed, scales, sums, bias, y, ldy, output);
}

#endif
