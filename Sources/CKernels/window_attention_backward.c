#include <math.h>

#include "ckernels.h"
#include "vector16.h"

ptrdiff_t ck_window_attention_backward_scratch_count(ptrdiff_t count, ptrdiff_t head_dimension) {
    const ptrdiff_t rows = round_up_16(head_dimension), columns = round_up_16(count);
    // q̃, k, dO as rows; k and v transposed; P and dS.
    return 3 * count * rows + 2 * head_dimension * columns + 2 * count * columns;
}

// Adds the first `dh - c` lanes (at most 16) of `v` to `target[c…]`: one vector
// read-modify-write when all 16 lanes are live (dh a multiple of 16, as in the model).
#define ADD_LANES(target, c, dh, v) do {                                      \
    const v16f lanes_ = (v);                                                  \
    if ((c) + 16 <= (dh)) {                                                   \
        V16_STORE((target) + (c), V16_LOAD((target) + (c)) + lanes_);         \
    } else {                                                                  \
        for (ptrdiff_t l_ = 0; l_ < (dh) - (c); l_++) (target)[(c) + l_] += lanes_[l_]; \
    }                                                                         \
} while (0)

static inline __attribute__((always_inline))
void window_attention_backward(ptrdiff_t count, const ptrdiff_t *tokens,
                               const float *queries, const float *keys, const float *values,
                               ptrdiff_t row_stride, const float *output_gradient, ptrdiff_t gradient_stride,
                               const float *log_sum_exp, const float *delta, ptrdiff_t state_stride,
                               float *query_gradient, float *key_gradient, float *value_gradient,
                               ptrdiff_t gradient_row_stride, ptrdiff_t dh, float scale, float *scratch) {
    if (count <= 0) return;
    const ptrdiff_t dhp = round_up_16(dh), stride = round_up_16(count);
    float *q = scratch, *k = q + count * dhp, *g = k + count * dhp;
    float *kt = g + count * dhp, *vt = kt + dh * stride;
    float *probabilities = vt + dh * stride, *score_gradients = probabilities + count * stride;

    // Gather: rows zero-padded to dhp, transposed columns zero past the last key.
    for (ptrdiff_t i = 0; i < count; i++) {
        const ptrdiff_t row = tokens[i] * row_stride;
        const float *gradient = output_gradient + tokens[i] * gradient_stride;
        ptrdiff_t c = 0;
        for (; c + 16 <= dh; c += 16) {
            V16_STORE(q + i * dhp + c, V16_LOAD(queries + row + c) * scale);
            V16_STORE(k + i * dhp + c, V16_LOAD(keys + row + c));
            V16_STORE(g + i * dhp + c, V16_LOAD(gradient + c));
        }
        for (; c < dhp; c++) {
            const int live = c < dh;
            q[i * dhp + c] = live ? queries[row + c] * scale : 0;
            k[i * dhp + c] = live ? keys[row + c] : 0;
            g[i * dhp + c] = live ? gradient[c] : 0;
        }
        for (ptrdiff_t c = 0; c < dh; c++) {
            kt[c * stride + i] = keys[row + c];
            vt[c * stride + i] = values[row + c];
        }
    }
    for (ptrdiff_t c = 0; c < dh; c++) {
        for (ptrdiff_t j = count; j < stride; j++) kt[c * stride + j] = vt[c * stride + j] = 0;
    }
    const v16i lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

    // Pass 1, per query: P = exp(s − lse) with the merged lse, dS = P ⊙ (dO·v − Δ), then
    // dQ = τ·dS·K (q̃ was pre-scaled, k was not).
    for (ptrdiff_t i = 0; i < count; i++) {
        const float lse = log_sum_exp[tokens[i] * state_stride], delta_i = delta[tokens[i] * state_stride];
        const float *qi = q + i * dhp, *gi = g + i * dhp;
        float *p_row = probabilities + i * stride, *ds_row = score_gradients + i * stride;
        for (ptrdiff_t j = 0; j < stride; j += 16) {
            v16f s0 = V16_SPLAT(0), s1 = s0, dp0 = s0, dp1 = s0;
            ptrdiff_t c = 0;
            for (; c + 2 <= dh; c += 2) {
                s0 += qi[c] * V16_LOAD(kt + c * stride + j);
                dp0 += gi[c] * V16_LOAD(vt + c * stride + j);
                s1 += qi[c + 1] * V16_LOAD(kt + (c + 1) * stride + j);
                dp1 += gi[c + 1] * V16_LOAD(vt + (c + 1) * stride + j);
            }
            if (c < dh) {
                s0 += qi[c] * V16_LOAD(kt + c * stride + j);
                dp0 += gi[c] * V16_LOAD(vt + c * stride + j);
            }
            // The merged lse is at least every score of the token: the argument is ≤ 0.
            const v16f p = V16_SELECT(lane < (int32_t)(count - j), V16_EXP((s0 + s1) - lse), V16_SPLAT(0));
            V16_STORE(p_row + j, p);
            V16_STORE(ds_row + j, p * ((dp0 + dp1) - delta_i));
        }
        float *dq = query_gradient + tokens[i] * gradient_row_stride;
        for (ptrdiff_t c = 0; c < dhp; c += 16) {
            v16f a0 = V16_SPLAT(0), a1 = a0;
            ptrdiff_t j = 0;
            for (; j + 2 <= count; j += 2) {
                a0 += ds_row[j] * V16_LOAD(k + j * dhp + c);
                a1 += ds_row[j + 1] * V16_LOAD(k + (j + 1) * dhp + c);
            }
            if (j < count) a0 += ds_row[j] * V16_LOAD(k + j * dhp + c);
            ADD_LANES(dq, c, dh, (a0 + a1) * scale);
        }
    }

    // Pass 2, per key: dK_j = Σ_i dS_ij·q̃_i and dV_j = Σ_i P_ij·dO_i.
    for (ptrdiff_t j = 0; j < count; j++) {
        float *dk = key_gradient + tokens[j] * gradient_row_stride;
        float *dv = value_gradient + tokens[j] * gradient_row_stride;
        for (ptrdiff_t c = 0; c < dhp; c += 16) {
            v16f k0 = V16_SPLAT(0), k1 = k0, v0 = k0, v1 = k0;
            ptrdiff_t i = 0;
            for (; i + 2 <= count; i += 2) {
                k0 += score_gradients[i * stride + j] * V16_LOAD(q + i * dhp + c);
                v0 += probabilities[i * stride + j] * V16_LOAD(g + i * dhp + c);
                k1 += score_gradients[(i + 1) * stride + j] * V16_LOAD(q + (i + 1) * dhp + c);
                v1 += probabilities[(i + 1) * stride + j] * V16_LOAD(g + (i + 1) * dhp + c);
            }
            if (i < count) {
                k0 += score_gradients[i * stride + j] * V16_LOAD(q + i * dhp + c);
                v0 += probabilities[i * stride + j] * V16_LOAD(g + i * dhp + c);
            }
            ADD_LANES(dk, c, dh, k0 + k1);
            ADD_LANES(dv, c, dh, v0 + v1);
        }
    }
}

#define BACKWARD_ENTRY(name, attributes)                                                              \
    attributes void name(ptrdiff_t count, const ptrdiff_t *tokens, const float *queries,              \
                         const float *keys, const float *values, ptrdiff_t row_stride,                \
                         const float *output_gradient, ptrdiff_t gradient_stride,                     \
                         const float *log_sum_exp, const float *delta, ptrdiff_t state_stride,        \
                         float *query_gradient, float *key_gradient, float *value_gradient,           \
                         ptrdiff_t gradient_row_stride, ptrdiff_t head_dimension, float scale,        \
                         float *scratch) {                                                            \
        window_attention_backward(count, tokens, queries, keys, values, row_stride, output_gradient,  \
                                  gradient_stride, log_sum_exp, delta, state_stride, query_gradient,  \
                                  key_gradient, value_gradient, gradient_row_stride, head_dimension,  \
                                  scale, scratch);                                                    \
    }
BACKWARD_ENTRY(ck_window_attention_backward, CK_MULTIVERSION)
BACKWARD_ENTRY(ck_window_attention_backward_baseline, )
