#include <math.h>

#include "ckernels.h"
#include "ckernels_testing.h"
#include "vector16.h"

ptrdiff_t ck_window_attention_backward_scratch_count(ptrdiff_t query_count, ptrdiff_t key_count,
                                                     ptrdiff_t head_dimension) {
    const ptrdiff_t rows = round_up_16(head_dimension), columns = round_up_16(key_count);
    // q̃ and dO of the queries and k of the keys as rows; k and v transposed; P and dS.
    return (2 * query_count + key_count) * rows + 2 * head_dimension * columns + 2 * query_count * columns;
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
void window_attention_backward(const ck_attention_backward *head, const ck_window *window, float *scratch) {
    const ptrdiff_t query_count = window->query_count, count = window->key_count;
    if (count <= 0 || query_count <= 0) return;
    const ck_head_rows rows = head->rows;
    const ptrdiff_t dh = rows.head_dimension, row_stride = rows.row_stride;
    const ptrdiff_t state_stride = head->state_stride, gradient_row_stride = head->gradient_stride;
    const ptrdiff_t *query_tokens = window->queries, *key_tokens = window->keys;
    const float scale = rows.scale, *log_sum_exp = head->log_sum_exp, *delta = head->delta;
    float *query_gradient = head->query_gradient, *key_gradient = head->key_gradient;
    float *value_gradient = head->value_gradient;
    const ptrdiff_t dhp = round_up_16(dh), stride = round_up_16(count);
    float *q = scratch, *g = q + query_count * dhp, *k = g + query_count * dhp;
    float *kt = k + count * dhp, *vt = kt + dh * stride;
    float *probabilities = vt + dh * stride, *score_gradients = probabilities + query_count * stride;

    // Gather: rows zero-padded to dhp, transposed columns zero past the last key.
    for (ptrdiff_t i = 0; i < query_count; i++) {
        const float *query = rows.queries + query_tokens[i] * row_stride;
        const float *gradient = head->output_gradient + query_tokens[i] * head->output_gradient_stride;
        ptrdiff_t c = 0;
        for (; c + 16 <= dh; c += 16) {
            V16_STORE(q + i * dhp + c, V16_LOAD(query + c) * scale);
            V16_STORE(g + i * dhp + c, V16_LOAD(gradient + c));
        }
        for (; c < dhp; c++) {
            const int live = c < dh;
            q[i * dhp + c] = live ? query[c] * scale : 0;
            g[i * dhp + c] = live ? gradient[c] : 0;
        }
    }
    for (ptrdiff_t j = 0; j < count; j++) {
        const float *key = rows.keys + key_tokens[j] * row_stride, *value = rows.values + key_tokens[j] * row_stride;
        ptrdiff_t c = 0;
        for (; c + 16 <= dh; c += 16) V16_STORE(k + j * dhp + c, V16_LOAD(key + c));
        for (; c < dhp; c++) k[j * dhp + c] = c < dh ? key[c] : 0;
        for (ptrdiff_t c = 0; c < dh; c++) {
            kt[c * stride + j] = key[c];
            vt[c * stride + j] = value[c];
        }
    }
    for (ptrdiff_t c = 0; c < dh; c++) {
        for (ptrdiff_t j = count; j < stride; j++) kt[c * stride + j] = vt[c * stride + j] = 0;
    }
    const v16i lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

    // Pass 1, per query: P = exp(s − lse) with the merged lse, dS = P ⊙ (dO·v − Δ), then
    // dQ = τ·dS·K (q̃ was pre-scaled, k was not).
    for (ptrdiff_t i = 0; i < query_count; i++) {
        const float lse = log_sum_exp[query_tokens[i] * state_stride];
        const float delta_i = delta[query_tokens[i] * state_stride];
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
        float *dq = query_gradient + query_tokens[i] * gradient_row_stride;
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
        float *dk = key_gradient + key_tokens[j] * gradient_row_stride;
        float *dv = value_gradient + key_tokens[j] * gradient_row_stride;
        for (ptrdiff_t c = 0; c < dhp; c += 16) {
            v16f k0 = V16_SPLAT(0), k1 = k0, v0 = k0, v1 = k0;
            ptrdiff_t i = 0;
            for (; i + 2 <= query_count; i += 2) {
                k0 += score_gradients[i * stride + j] * V16_LOAD(q + i * dhp + c);
                v0 += probabilities[i * stride + j] * V16_LOAD(g + i * dhp + c);
                k1 += score_gradients[(i + 1) * stride + j] * V16_LOAD(q + (i + 1) * dhp + c);
                v1 += probabilities[(i + 1) * stride + j] * V16_LOAD(g + (i + 1) * dhp + c);
            }
            if (i < query_count) {
                k0 += score_gradients[i * stride + j] * V16_LOAD(q + i * dhp + c);
                v0 += probabilities[i * stride + j] * V16_LOAD(g + i * dhp + c);
            }
            ADD_LANES(dk, c, dh, k0 + k1);
            ADD_LANES(dv, c, dh, v0 + v1);
        }
    }
}

CK_MULTIVERSION void ck_window_attention_backward(const ck_attention_backward *head, const ck_window *window,
                                                  float *scratch) {
    window_attention_backward(head, window, scratch);
}
void ck_window_attention_backward_baseline(const ck_attention_backward *head, const ck_window *window,
                                           float *scratch) {
    window_attention_backward(head, window, scratch);
}
