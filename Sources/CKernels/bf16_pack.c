#include "ckernels.h"
#include "bf16_format.h"
#include "bf16_avx512.h"

float ck_bf16_round(float x) { return float_from_bf16(bf16_from_float(x)); }

ptrdiff_t ck_bf16_packed_count(ptrdiff_t n, ptrdiff_t k) {
    return bf16_panels(n) * bf16_pairs(k) * BF16_PANEL * 2;
}

// The panels of the n × k matrix whose entry (column, input) is `w[column · column_stride +
// input · input_stride]`: either orientation of the weight, one scalar at a time.
static void pack_strided(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t column_stride,
                         ptrdiff_t input_stride, uint16_t *packed) {
    const ptrdiff_t pairs = bf16_pairs(k);
    for (ptrdiff_t panel = 0; panel < bf16_panels(n); panel++) {
        for (ptrdiff_t p = 0; p < pairs; p++) {
            for (ptrdiff_t c = 0; c < BF16_PANEL; c++) {
                const ptrdiff_t column = panel * BF16_PANEL + c;
                for (ptrdiff_t e = 0; e < 2; e++) {
                    const ptrdiff_t input = 2 * p + e;
                    *packed++ = column < n && input < k
                        ? bf16_from_float(w[column * column_stride + input * input_stride]) : 0;
                }
            }
        }
    }
}

void ck_bf16_pack(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw, uint16_t *packed) {
    pack_strided(n, k, w, ldw, 1, packed);
}

void ck_bf16_unpack(ptrdiff_t n, ptrdiff_t k, const uint16_t *packed, float *w) {
    const ptrdiff_t pairs = bf16_pairs(k);
    for (ptrdiff_t column = 0; column < n; column++) {
        const uint16_t *panel = packed + column / BF16_PANEL * pairs * BF16_PANEL * 2 + column % BF16_PANEL * 2;
        for (ptrdiff_t input = 0; input < k; input++) {
            w[column * k + input] = float_from_bf16(panel[input / 2 * BF16_PANEL * 2 + input % 2]);
        }
    }
}

#ifdef CKERNELS_AVX512

// Pair by pair down b (k × n), so both rows stream in order; each pair's 32 columns of a
// panel are two interleaved vectors.
BF16_TARGET void bf16_pack_transposed_avx512(ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb,
                                             uint16_t *packed) {
    const ptrdiff_t pairs = bf16_pairs(k);
    for (ptrdiff_t p = 0; p < pairs; p++) {
        const float *even = b + 2 * p * ldb, *odd = even + ldb;
        const bool has_odd = 2 * p + 1 < k;   // an odd k pairs its last input with zero
        for (ptrdiff_t panel = 0; panel < bf16_panels(n); panel++) {
            uint16_t *target = packed + (panel * pairs + p) * 2 * BF16_PANEL;
            for (ptrdiff_t half = 0; half < 2; half++) {
                // Columns past n load as zeros: the panel's padding.
                const ptrdiff_t column = panel * BF16_PANEL + half * 16;
                const __mmask16 lanes = first_lanes(n - column);
                const __m512 odd_values = has_odd ? _mm512_maskz_loadu_ps(lanes, odd + column) : _mm512_setzero_ps();
                _mm512_storeu_si512(target + half * BF16_PANEL,
                                    bf16_interleave(_mm512_maskz_loadu_ps(lanes, even + column), odd_values));
            }
        }
    }
}

#endif

void ck_bf16_pack_transposed(ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb, uint16_t *packed) {
#ifdef CKERNELS_AVX512
    if (ck_bf16_supported()) {
        bf16_pack_transposed_avx512(n, k, b, ldb, packed);
        return;
    }
#endif
    pack_strided(n, k, b, 1, ldb, packed);
}
