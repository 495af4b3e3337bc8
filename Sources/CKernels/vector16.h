#ifndef CKERNELS_VECTOR16_H
#define CKERNELS_VECTOR16_H

// Sixteen-float vectors in Clang/GCC vector extensions, for kernels written once and
// compiled per instruction set: `CK_MULTIVERSION` makes the compiler emit an AVX-512, an
// AVX2+FMA and a baseline copy of a function and pick one at load time (ifunc), so the
// package needs no -m flags and runs on any x86-64. Elsewhere it compiles once, for the
// target's own vectors.

#include <stddef.h>
#include <stdint.h>

typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

#if defined(__x86_64__) && defined(__linux__) && defined(__clang__)
#define CK_MULTIVERSION __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define CK_MULTIVERSION
#endif

// `n` rounded up to whole vectors: the stride of rows padded for 16-float loads.
static inline ptrdiff_t round_up_16(ptrdiff_t n) { return (n + 15) / 16 * 16; }

// The helpers are macros, not inline functions: a function taking or returning a 64-byte
// vector is an ABI error in the clones compiled without AVX-512, even when inlined.

// Unaligned 16-float load and store.
typedef float v16f_unaligned __attribute__((vector_size(64), aligned(4)));
#define V16_LOAD(p) (*(const v16f_unaligned *)(p))
#define V16_STORE(p, v) (*(v16f_unaligned *)(p) = (v))

#define V16_SPLAT(x) ((v16f){0} + (float)(x))

// Lane-wise `mask ? a : b` for an all-ones/all-zeros comparison mask (a bit select).
#define V16_SELECT(mask, a, b) ((v16f)(((v16i)(a) & (mask)) | ((v16i)(b) & ~(mask))))

#define V16_MAX(a, b) ({ v16f a_ = (a), b_ = (b); V16_SELECT(a_ > b_, a_, b_); })

// Horizontal reductions: halve the vector four times.
#define V16_HALVES(h, op)                                                                              \
    h = op(h, __builtin_shufflevector(h, h, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7));   \
    h = op(h, __builtin_shufflevector(h, h, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11));   \
    h = op(h, __builtin_shufflevector(h, h, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13));   \
    h = op(h, __builtin_shufflevector(h, h, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14))
#define V16_ADD_(a, b) ((a) + (b))
#define V16_REDUCE_MAX(v) ({ v16f h_ = (v); V16_HALVES(h_, V16_MAX); h_[0]; })
#define V16_REDUCE_ADD(v) ({ v16f h_ = (v); V16_HALVES(h_, V16_ADD_); h_[0]; })

// exp(x) for the attention softmax (x ≤ 0 in use), Cephes-style: x = n·ln2 + f with
// |f| ≤ ln2/2, a degree-6 polynomial for e^f, then 2^n built in the exponent bits (n rounded
// with the 1.5·2²³ trick, so no float→int conversion). Relative error about 2 ulp over the
// normal range; |x| beyond 87.3 (−∞ for masked scores included) gives exactly 0, so masked
// lanes drop out of sums. The tests check it through `ck_softmax_exp`.
#define V16_EXP(input) ({                                                                  \
    const v16f limit_ = V16_SPLAT(87.33654f);                                            \
    v16f x_ = (input);                                                                   \
    const v16i in_range_ = (x_ < limit_) & (x_ > -limit_);                               \
    x_ = V16_SELECT(x_ > limit_, limit_, V16_SELECT(x_ < -limit_, -limit_, x_));         \
    const v16f magic_ = V16_SPLAT(12582912.0f);                                          \
    const v16f shifted_ = x_ * 1.44269504088896341f + magic_;                            \
    const v16f n_ = shifted_ - magic_;                                                   \
    v16f f_ = x_ - n_ * 0.693359375f;                                                    \
    f_ = f_ + n_ * 2.12194440e-4f;                                                       \
    v16f p_ = V16_SPLAT(1.9875691500e-4f);                                               \
    p_ = p_ * f_ + 1.3981999507e-3f;                                                     \
    p_ = p_ * f_ + 8.3334519073e-3f;                                                     \
    p_ = p_ * f_ + 4.1665795894e-2f;                                                     \
    p_ = p_ * f_ + 1.6666665459e-1f;                                                     \
    p_ = p_ * f_ + 5.0000001201e-1f;                                                     \
    const v16f polynomial_ = p_ * f_ * f_ + f_ + 1;                                      \
    const v16i exponent_ = (((v16i)shifted_ - (v16i)magic_) + 127) << 23;                \
    V16_SELECT(in_range_, polynomial_ * (v16f)exponent_, V16_SPLAT(0));                  \
})

// One round of `V16_TRANSPOSE`: rows i and i + b (i without bit b) trade the lanes where
// their bit b differs from the lane's, so bit b of the row and lane indices swaps.
#define V16_TRANSPOSE_ROUND_(r, b, low, high)                                                  \
    _Pragma("clang loop unroll(full)")                                                         \
    for (int i_ = 0; i_ < 16; i_++) {                                                          \
        if (i_ & (b)) continue;                                                                \
        const v16f a_ = r[i_], c_ = r[i_ + (b)];                                               \
        r[i_] = __builtin_shufflevector(a_, c_, V16_UNPACK_ low);                               \
        r[i_ + (b)] = __builtin_shufflevector(a_, c_, V16_UNPACK_ high);                        \
    }
#define V16_UNPACK_(...) __VA_ARGS__

// Transposes the 16 × 16 block held in `r[0..16)` (row i = r[i]) in place: four rounds of
// two-source shuffles, 64 in all, instead of 256 scalar moves or a scatter.
#define V16_TRANSPOSE(r) do {                                                                  \
    V16_TRANSPOSE_ROUND_(r, 8, (0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),       \
                               (8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31))  \
    V16_TRANSPOSE_ROUND_(r, 4, (0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),      \
                               (4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31))    \
    V16_TRANSPOSE_ROUND_(r, 2, (0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29),      \
                               (2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31))    \
    V16_TRANSPOSE_ROUND_(r, 1, (0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30),     \
                               (1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31))    \
} while (0)

// erf(x): the odd/even rational fit of Eigen and XLA for float (inputs clamped to ±4,
// where erf is ±1 in float; absolute error ≤ 4.2e-7), as the Swift `errorFunction`.
#define V16_ERF(input) ({                                                      \
    const v16f four_ = V16_SPLAT(4.0f);                                        \
    v16f x_ = (input);                                                         \
    x_ = V16_SELECT(x_ > four_, four_, V16_SELECT(x_ < -four_, -four_, x_));   \
    const v16f x2_ = x_ * x_;                                                  \
    v16f p_ = x2_ * -2.72614225801306e-10f + 2.77068142495902e-08f;            \
    p_ = p_ * x2_ - 2.10102402082508e-06f;                                     \
    p_ = p_ * x2_ - 5.69250639462346e-05f;                                     \
    p_ = p_ * x2_ - 7.34990630326855e-04f;                                     \
    p_ = p_ * x2_ - 2.95459980854025e-03f;                                     \
    p_ = p_ * x2_ - 1.60960333262415e-02f;                                     \
    p_ = p_ * x_;                                                              \
    v16f q_ = x2_ * -1.45660718464996e-05f - 2.13374055278905e-04f;            \
    q_ = q_ * x2_ - 1.68282697438203e-03f;                                     \
    q_ = q_ * x2_ - 7.37332916720468e-03f;                                     \
    q_ = q_ * x2_ - 1.42647390514189e-02f;                                     \
    p_ / q_;                                                                   \
})

// Φ(x), the standard normal CDF, so GELU(x) = x·Φ(x) exactly (not the tanh approximation).
#define V16_NORMAL_CDF(x) (0.5f * (1.0f + V16_ERF((x) * 0.70710678118654752f)))
#define V16_GELU(input) ({ const v16f u_ = (input); u_ * V16_NORMAL_CDF(u_); })

#endif
