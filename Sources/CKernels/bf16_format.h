#ifndef CKERNELS_BF16_FORMAT_H
#define CKERNELS_BF16_FORMAT_H

// The packed weight layout shared by the AVX512-BF16 kernel and the portable fallback.
//
// W (n × k) is cut into panels of BF16_PANEL output columns. Within a panel, for each
// pair of inputs p = (2i, 2i+1), the 32 columns follow each other as bf16 pairs
// (w[c][2i], w[c][2i+1]): one pair is the 32-bit lane `vdpbf16ps` multiplies with a
// broadcast input pair, so one k-pair of a panel is exactly two zmm registers. K is
// padded to even and n to a whole panel with zeros, which add nothing to the sums.

#include <stdint.h>
#include <string.h>

enum { BF16_PANEL = 32 };

static inline ptrdiff_t bf16_pairs(ptrdiff_t k) { return (k + 1) / 2; }
static inline ptrdiff_t bf16_panels(ptrdiff_t n) { return (n + BF16_PANEL - 1) / BF16_PANEL; }

// Round to nearest even, subnormals to signed zero, NaN kept quiet: what
// vcvtne2ps2bf16 does, so both paths see the same inputs.
static inline uint16_t bf16_from_float(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7f800000u) == 0) return (uint16_t)((bits >> 16) & 0x8000u);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x0040u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

static inline float float_from_bf16(uint16_t value) {
    uint32_t bits = (uint32_t)value << 16;
    float result;
    memcpy(&result, &bits, sizeof result);
    return result;
}

#endif
