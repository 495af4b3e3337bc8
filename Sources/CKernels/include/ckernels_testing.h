#ifndef CKERNELS_TESTING_H
#define CKERNELS_TESTING_H

// Variants of the native kernels that only the tests call (`import CKernelsTesting`; the
// second module of module.modulemap). Production code uses `ckernels.h` alone.

#include "ckernels.h"

/// The kernels below are the baseline x86-64 clones of the multiversioned kernels of the
/// same name (what CPUs without AVX2 run), compiled as such whatever the CPU, so the
/// tests cover them on any machine.
void ck_window_attention_baseline(const ck_attention_forward *head, const ck_window *window, float *scratch);
void ck_window_attention_backward_baseline(const ck_attention_backward *head, const ck_window *window,
                                           float *scratch);
void ck_add_bias_gelu_baseline(ptrdiff_t rows, ptrdiff_t columns, const float *bias, float *matrix);
void ck_gelu_with_derivative_baseline(ptrdiff_t count, float *pre_activation, float *activation);
void ck_layer_norm_baseline(ptrdiff_t rows, ptrdiff_t columns, const float *input, float *output,
                            const float *weight, const float *bias, float epsilon);

/// `ck_bf16_gemm` and `ck_bf16_gemm_atb` without AVX512-BF16, whatever the CPU: the
/// fallbacks those two dispatch to at run time, callable on their own so that the tests
/// cover them on an AVX512-BF16 machine too. Same signatures, by construction.
__typeof__(ck_bf16_gemm) ck_bf16_gemm_portable;
__typeof__(ck_bf16_gemm_atb) ck_bf16_gemm_atb_portable;
/// `ck_int8_gemm` without AVX512-VNNI, whatever the CPU.
__typeof__(ck_int8_gemm) ck_int8_gemm_portable;

/// `y[i] = exp(x[i])` through the attention softmax's vector exponential (`V16_EXP`,
/// multiversioned like the kernels that use it), for `count` floats.
void ck_softmax_exp(ptrdiff_t count, const float *x, float *y);

#endif
