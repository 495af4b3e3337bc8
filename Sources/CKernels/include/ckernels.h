#ifndef CKERNELS_H
#define CKERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// BF16 products with fp32 accumulation for Linear layers: `Y = X · Wᵀ (+ bias) (+ Y)`,
/// with W in PyTorch `nn.Linear` layout (`n` outputs × `k` inputs, fp32, row-major), and
/// for training `dX = dY · W` (W packed from its transpose) and `dW (+)= dYᵀ · X`.
///
/// W is packed into bf16 panels; X is rounded to bf16 (nearest-even, subnormals to
/// zero, as `vcvtne2ps2bf16` does) on the fly. Every function is single-threaded:
/// callers split `m` into row bands.

/// Whether this CPU runs the AVX512-BF16 kernel; otherwise `ck_bf16_gemm` falls back to
/// a portable loop with the same rounding (correct but slow).
bool ck_bf16_supported(void);

/// Number of `uint16_t` a packed `n × k` weight takes (K rounded up to even, n to 32).
ptrdiff_t ck_bf16_packed_count(ptrdiff_t n, ptrdiff_t k);

/// Packs `w` (`n × k`, row stride `ldw`) into `packed`, which holds
/// `ck_bf16_packed_count(n, k)` values and should be 64-byte aligned.
void ck_bf16_pack(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw, uint16_t *packed);

/// Packs the `n × k` weight whose transpose `b` (`k × n`, row stride `ldb`) is given: the
/// same panels `ck_bf16_pack` makes of `bᵀ`, e.g. `Wᵀ` for an input gradient `dY · W`.
void ck_bf16_pack_transposed(ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb, uint16_t *packed);

/// `y[i][j] = Σₖ bf16(x[i][k]) · bf16(w[j][k]) + bias[j]` for `m` rows of `x` (row stride
/// `ldx`) into `y` (row stride `ldy`); with `accumulate`, adds onto `y` instead. `bias`
/// may be NULL. `packed` comes from `ck_bf16_pack` with the same `n` and `k`.
void ck_bf16_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                  const float *x, ptrdiff_t ldx, const uint16_t *packed,
                  const float *bias, float *y, ptrdiff_t ldy, bool accumulate);

/// `ck_bf16_gemm` without AVX512-BF16, whatever the CPU: the fallback, public for tests.
void ck_bf16_gemm_portable(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                           const float *x, ptrdiff_t ldx, const uint16_t *packed,
                           const float *bias, float *y, ptrdiff_t ldy, bool accumulate);

/// `c[i][j] = Σₜ bf16(a[t][i]) · bf16(b[t][j])` for `m` columns of `a` (`k × m`, row stride
/// `lda`) and `n` columns of `b` (`k × n`, row stride `ldb`): `C = Aᵀ · B`, a weight gradient
/// `dW = dYᵀ · X` summed over `k` = batch × tokens rows. With `accumulate`, adds onto `c`.
/// Both operands are rounded as they are packed, in chunks of rows; callers split `m` (a
/// band of c's rows is a band of a's columns).
void ck_bf16_gemm_atb(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                      float *c, ptrdiff_t ldc, bool accumulate);

/// `ck_bf16_gemm_atb` without AVX512-BF16, whatever the CPU: the fallback, public for tests.
void ck_bf16_gemm_atb_portable(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                               const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                               float *c, ptrdiff_t ldc, bool accumulate);

/// `x` rounded to bf16 the way both paths round it, widened back to fp32.
float ck_bf16_round(float x);

#endif
