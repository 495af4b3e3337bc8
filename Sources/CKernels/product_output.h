#ifndef CKERNELS_PRODUCT_OUTPUT_H
#define CKERNELS_PRODUCT_OUTPUT_H

// The last step the Linear product kernels share: each result stored as `ck_output` says,
// while it is still in a register (a GELU here spares the MLP a pass over its hidden layer).

#include <math.h>

#include "ckernels.h"
#include "vector16.h"

// A result `value` for the output entry `*out`, in plain C (the portable kernels).
static inline void ck_store_output(float *out, float value, ck_output output) {
    switch (output) {
    case CK_STORE: *out = value; break;
    case CK_ADD: *out += value; break;
    case CK_GELU: *out = value * 0.5f * (1.0f + erff(value * 0.70710678118654752f)); break;
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

// The first `count` of 16 lanes (none when count ≤ 0, all when count ≥ 16): a panel's
// `low` and `high` halves where fewer than 32 outputs are left.
static inline __mmask16 first_lanes(ptrdiff_t count) {
    return count >= 16 ? 0xffff : count <= 0 ? 0 : (__mmask16)((1u << count) - 1);
}

// One row's 32 results of a panel, `v0` then `v1`, through the lanes `low` and `high`.
__attribute__((target("avx512f"))) static inline __attribute__((always_inline))
void ck_store_output32(float *out, __m512 v0, __m512 v1, __mmask16 low, __mmask16 high, ck_output output) {
    if (output == CK_ADD) {
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(low, out));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(high, out + 16));
    } else if (output == CK_GELU) {
        v0 = (__m512)V16_GELU((v16f)v0);
        v1 = (__m512)V16_GELU((v16f)v1);
    }
    _mm512_mask_storeu_ps(out, low, v0);
    _mm512_mask_storeu_ps(out + 16, high, v1);
}
#endif

#endif
