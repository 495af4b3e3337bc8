#ifndef CKERNELS_H
#define CKERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Native kernels of DilatedViT: BF16 Linear products and dilated-window attention.

/// BF16 products with fp32 accumulation for Linear layers: `Y = X · Wᵀ (+ bias) (+ Y)`,
/// with W in PyTorch `nn.Linear` layout (`n` outputs × `k` inputs, fp32, row-major), and
/// for training `dX = dY · W` (W packed from its transpose) and `dW (+)= dYᵀ · X`.
///
/// W is packed into bf16 panels; X is rounded to bf16 (nearest-even, subnormals to
/// zero, as `vcvtne2ps2bf16` does) on the fly. Every function is single-threaded:
/// callers split `m` into row bands.

/// What a Linear product kernel does with each result `v` (the bias included): store it,
/// add it onto the output (a residual connection), or store GELU(v) (an MLP's hidden layer,
/// the exact erf form).
typedef enum { CK_STORE, CK_ADD, CK_GELU } ck_output;

/// Whether this CPU runs the AVX512-BF16 kernel; otherwise `ck_bf16_gemm` falls back to
/// a portable loop with the same rounding (correct but slow).
bool ck_bf16_supported(void);

/// Number of `uint16_t` a packed `n × k` weight takes (K rounded up to even, n to 32).
ptrdiff_t ck_bf16_packed_count(ptrdiff_t n, ptrdiff_t k);

/// Packs `w` (`n × k`, row stride `ldw`) into `packed`, which holds
/// `ck_bf16_packed_count(n, k)` values and should be 64-byte aligned.
void ck_bf16_pack(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw, uint16_t *packed);

/// The `n × k` weight (row-major, `w` holds `n · k` floats) that `ck_bf16_pack` panels
/// hold: each value as its bf16 rounding.
void ck_bf16_unpack(ptrdiff_t n, ptrdiff_t k, const uint16_t *packed, float *w);

/// Packs the `n × k` weight whose transpose `b` (`k × n`, row stride `ldb`) is given: the
/// same panels `ck_bf16_pack` makes of `bᵀ`, e.g. `Wᵀ` for an input gradient `dY · W`.
void ck_bf16_pack_transposed(ptrdiff_t n, ptrdiff_t k, const float *b, ptrdiff_t ldb, uint16_t *packed);

/// `y[i][j] = Σₖ bf16(x[i][k]) · bf16(w[j][k]) + bias[j]` for `m` rows of `x` (row stride
/// `ldx`) into `y` (row stride `ldy`), as `output` says. `bias` may be NULL. `packed` comes from `ck_bf16_pack` with the same `n` and `k`.
void ck_bf16_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                  const float *x, ptrdiff_t ldx, const uint16_t *packed,
                  const float *bias, float *y, ptrdiff_t ldy, ck_output output);

/// `c[i][j] = Σₜ bf16(a[t][i]) · bf16(b[t][j])` for `m` columns of `a` (`k × m`, row stride
/// `lda`) and `n` columns of `b` (`k × n`, row stride `ldb`): `C = Aᵀ · B`, a weight gradient
/// `dW = dYᵀ · X` summed over `k` = batch × tokens rows. With `accumulate`, adds onto `c`.
/// Both operands are rounded as they are packed, in chunks of rows; callers split `m` (a
/// band of c's rows is a band of a's columns).
void ck_bf16_gemm_atb(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                      const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                      float *c, ptrdiff_t ldc, bool accumulate);

/// `x` rounded to bf16 the way both paths round it, widened back to fp32.
float ck_bf16_round(float x);

/// Where one head's queries, keys and values are: token `t`'s query is the
/// `head_dimension` floats at `queries + t · row_stride` (likewise keys and values; the
/// pointers are already offset to the head's columns, so in the model they are columns
/// `h·dh`, `D + h·dh` and `2D + h·dh` of the `N × 3D` qkv rows). Scores are
/// `scale · q·k`.
typedef struct ck_head_rows {
    const float *queries;
    const float *keys;
    const float *values;
    ptrdiff_t row_stride;
    ptrdiff_t head_dimension;
    float scale;
} ck_head_rows;

/// The tokens of one kernel call: each of the `query_count` tokens `queries[i]` attends to
/// the `key_count` tokens `keys[j]`. A dilated window passes its token list as both (every
/// token of the window attends to all of them); the caller may instead pass a part of a
/// window's queries, or absorb a large window's keys in chunks over several calls. Tokens
/// within each list must be distinct. `starts` (forward only): the call is the first for
/// every one of its queries, whose states it writes without reading them, so the caller
/// need not store `μ = −∞`, `σ = 0`, `a = 0` first.
typedef struct ck_window {
    ptrdiff_t query_count;
    const ptrdiff_t *queries;
    ptrdiff_t key_count;
    const ptrdiff_t *keys;
    bool starts;
} ck_window;

/// The forward's state for one head: per token `t`, the running softmax maximum and sum at
/// `maxima` and `sums + t · state_stride`, and the unnormalised output row at
/// `output + t · output_stride` (MODEL.md §5, "merge as one running softmax").
typedef struct ck_attention_forward {
    ck_head_rows rows;
    float *maxima;
    float *sums;
    ptrdiff_t state_stride;
    float *output;
    ptrdiff_t output_stride;
} ck_attention_forward;

/// Attention of one head within one window, merged into running softmax states: every
/// query absorbs the window's keys by online softmax, `μ' = max(μ, max score)`,
/// `σ' = σ·e^(μ−μ') + Σ e^(score−μ')`, `a' = a·e^(μ−μ') + Σ e^(score−μ')·v`, so calls for
/// further windows (other levels, other key chunks) merge exactly; the caller divides the
/// output by the sums at the end. `scratch` holds
/// `ck_window_attention_scratch_count(key_count, …)` floats. Single-threaded; compiled for
/// AVX-512, AVX2+FMA and baseline, chosen at load time.
void ck_window_attention(const ck_attention_forward *head, const ck_window *window, float *scratch);

/// Floats of scratch `ck_window_attention` needs for a window of `key_count` keys.
ptrdiff_t ck_window_attention_scratch_count(ptrdiff_t key_count, ptrdiff_t head_dimension);

/// What the backward reads and writes for one head: the forward's merged log-sum-exp and
/// `Δ = rowsum(dO ⊙ O)` at `log_sum_exp` and `delta + t · state_stride`, the output
/// gradient row `dO` at `output_gradient + t · output_gradient_stride`, and the gradient
/// rows that it adds onto at `query_gradient` etc. `+ t · gradient_stride`.
typedef struct ck_attention_backward {
    ck_head_rows rows;
    const float *log_sum_exp;
    const float *delta;
    ptrdiff_t state_stride;
    const float *output_gradient;
    ptrdiff_t output_gradient_stride;
    float *query_gradient;
    float *key_gradient;
    float *value_gradient;
    ptrdiff_t gradient_stride;
} ck_attention_backward;

/// The backward of `ck_window_attention` for training, given the forward's merged
/// log-sum-exp: with `P = exp(scale·q·k − lse)` and `dS = P ⊙ (dO·v − Δ)` over the window's
/// (query, key) pairs, adds `dQ = scale·dS·K` onto the queries' gradient rows and
/// `dK = scale·dSᵀ·Q`, `dV = Pᵀ·dO` onto the keys'. Each (query, key) pair contributes
/// independently, so the windows of every level can be walked in any grouping. `scratch`
/// holds `ck_window_attention_backward_scratch_count` floats. Single-threaded; multiversioned.
void ck_window_attention_backward(const ck_attention_backward *head, const ck_window *window, float *scratch);

/// Floats of scratch `ck_window_attention_backward` needs for a window of `query_count`
/// queries and `key_count` keys.
ptrdiff_t ck_window_attention_backward_scratch_count(ptrdiff_t query_count, ptrdiff_t key_count,
                                                     ptrdiff_t head_dimension);

/// `x ← GELU(x + bias)` (exact GELU, erf-based) over a `rows × columns` row-major matrix;
/// `bias` (`columns` floats) may be NULL. Single-threaded; multiversioned like the above
/// (`ckernels_testing.h` declares the baseline clones the tests call).
void ck_add_bias_gelu(ptrdiff_t rows, ptrdiff_t columns, const float *bias, float *matrix);

/// For training's backward: `activation[i] = GELU(u)` and `pre_activation[i] ← GELU′(u) =
/// Φ(u) + u·φ(u)` for `u = pre_activation[i]`, `count` floats. Single-threaded; multiversioned.
void ck_gelu_with_derivative(ptrdiff_t count, float *pre_activation, float *activation);

/// PyTorch `nn.LayerNorm` over each of `rows` rows of width `columns` (biased variance,
/// two-pass statistics); `output` may equal `input`. Single-threaded; multiversioned.
void ck_layer_norm(ptrdiff_t rows, ptrdiff_t columns, const float *input, float *output,
                   const float *weight, const float *bias, float epsilon);

/// The first half of `ck_layer_norm`, for training: `normalised = (x − mean)·ρ` per row and
/// `inverse_deviation[r] = ρ = 1/sqrt(var + eps)`, the statistics computed exactly as
/// `ck_layer_norm` computes them. Single-threaded; multiversioned.
void ck_layer_norm_normalise(ptrdiff_t rows, ptrdiff_t columns, const float *input,
                             float *normalised, float *inverse_deviation, float epsilon);

/// A task of `ck_parallel_for`: runs item `index` with the caller's `context`.
typedef void (*ck_parallel_body)(void *context, ptrdiff_t index);

/// Runs `body(context, i)` for `i` in `0 ..< count` on the calling thread and the
/// library's pool of `threads − 1` workers (started on first use), and returns when all
/// are done. A call made while another is running (from another thread, or from inside a
/// body) runs its items inline, so there is never more than one pool's worth of threads.
void ck_parallel_for(ptrdiff_t count, ptrdiff_t threads, ck_parallel_body body, void *context);

/// Int8 products for Linear layers (`--precision int8`): `y[i][j] = sx[i] · sw[j] ·
/// Σₖ qx[i][k] · qw[j][k] + bias[j]` (stored as `output` says), where `qw = round(w / sw)`,
/// `sw[j] = max|w[j]| / 127` (per output channel, at packing) and `qx = round(x / sx)`,
/// `sx[i] = max|x[i]| / 127` (per row, as the product runs), both clamped to ±127; the
/// integer sums are exact. AVX512-VNNI where the CPU has it (`ck_int8_supported`), else a
/// portable loop with the same results up to float rounding of the last step.
/// Single-threaded, like the BF16 products.
bool ck_int8_supported(void);
/// Bytes of the packed weight of an `n × k` Linear.
ptrdiff_t ck_int8_packed_count(ptrdiff_t n, ptrdiff_t k);
/// Quantises `w` (`n × k`, row stride `ldw`) into `packed`, its per-output `scales` and the
/// sums of each output's quantised weights (`sums`, which the kernel needs).
void ck_int8_pack(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw, int8_t *packed, float *scales,
                  int32_t *sums);
/// The `n × k` weight (row-major) that `ck_int8_pack`'s output stands for: each int8 level
/// times its output's scale.
void ck_int8_unpack(ptrdiff_t n, ptrdiff_t k, const int8_t *packed, const float *scales, float *w);
void ck_int8_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *x, ptrdiff_t ldx, const int8_t *packed,
                  const float *scales, const int32_t *sums, const float *bias, float *y, ptrdiff_t ldy,
                  ck_output output);

/// fp32 products for the inference model's Linear layers on AVX-512 CPUs
/// (`ck_f32_supported`; elsewhere the library calls OpenBLAS): `y[i][j] = Σₖ x[i][k] ·
/// w[j][k] + bias[j]` (stored as `output` says) from panels packed once by `ck_f32_pack`
/// (`ck_f32_packed_count(n, k)` floats, 64-byte aligned); `bias` may be NULL.
/// Single-threaded; calling `ck_f32_gemm` where it is unsupported aborts.
bool ck_f32_supported(void);
ptrdiff_t ck_f32_packed_count(ptrdiff_t n, ptrdiff_t k);
void ck_f32_pack(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw, float *packed);
/// The `n × k` weight (row-major) that `ck_f32_pack`'s panels hold.
void ck_f32_unpack(ptrdiff_t n, ptrdiff_t k, const float *packed, float *w);
void ck_f32_gemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *x, ptrdiff_t ldx, const float *packed,
                 const float *bias, float *y, ptrdiff_t ldy, ck_output output);

/// The cores this process may run on: its CPU affinity mask on Linux (mpirun's binding,
/// taskset, a container's cpuset), else the online processors.
int ck_usable_cores(void);

/// Names the calling thread (at most 15 characters), as `top -H` and /proc show it.
void ck_name_current_thread(const char *name);

#endif
