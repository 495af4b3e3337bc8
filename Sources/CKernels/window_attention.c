#include <math.h>

#include "ckernels.h"
#include "ckernels_testing.h"
#include "vector16.h"

// Queries absorbed together: their score, exp and value chains interleave (one query's
// chain alone is latency-bound), and each key and value vector loaded serves all of them.
#define QUERY_BLOCK 4

ptrdiff_t ck_window_attention_scratch_count(ptrdiff_t key_count, ptrdiff_t head_dimension) {
    // Transposed keys (head_dimension × padded key count) and a score row per blocked query.
    return (head_dimension + QUERY_BLOCK) * round_up_16(key_count);
}

// `block` queries (`tokens[0 ..< block]`) absorb the `count` keys `key_tokens`. A plain inline function
// taking no vectors, so that every clone inlines it with `block` constant.
static inline __attribute__((always_inline))
void attend_queries(int block, ptrdiff_t count, const ptrdiff_t *tokens, const ptrdiff_t *key_tokens,
                    const float *queries, const float *values, ptrdiff_t row_stride, ptrdiff_t dh,
                    float scale, float *maxima, float *sums, ptrdiff_t state_stride,
                    float *output, ptrdiff_t output_stride, const float *kt, float *scores) {
    const ptrdiff_t stride = round_up_16(count), vector_end = dh / 16 * 16;
    const v16i lane = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const float *q[QUERY_BLOCK];
    float *o[QUERY_BLOCK], rescale[QUERY_BLOCK];
    v16f block_max[QUERY_BLOCK], block_sum[QUERY_BLOCK];
    for (int u = 0; u < block; u++) {
        q[u] = queries + tokens[u] * row_stride;
        o[u] = output + tokens[u] * output_stride;
        block_max[u] = V16_SPLAT(-INFINITY);
        block_sum[u] = V16_SPLAT(0);
    }

    // Scores, 16 keys at a time: one broadcast multiply-add per query and feature.
    for (ptrdiff_t j = 0; j < stride; j += 16) {
        v16f s[QUERY_BLOCK];
        for (int u = 0; u < block; u++) s[u] = V16_SPLAT(0);
        for (ptrdiff_t d = 0; d < dh; d++) {
            const v16f k = V16_LOAD(kt + d * stride + j);
            for (int u = 0; u < block; u++) s[u] += q[u][d] * k;
        }
        // Lanes past the last key saw zero keys: mask them out of the softmax.
        const v16i live = lane < (int32_t)(count - j);
        for (int u = 0; u < block; u++) {
            const v16f masked = V16_SELECT(live, s[u] * scale, V16_SPLAT(-INFINITY));
            V16_STORE(scores + u * stride + j, masked);
            block_max[u] = V16_MAX(block_max[u], masked);
        }
    }
    for (int u = 0; u < block; u++) {
        float *maximum = maxima + tokens[u] * state_stride, *sum = sums + tokens[u] * state_stride;
        const float old_max = *maximum;
        const float new_max = fmaxf(old_max, V16_REDUCE_MAX(block_max[u]));
        for (ptrdiff_t j = 0; j < stride; j += 16) {
            const v16f p = V16_EXP(V16_LOAD(scores + u * stride + j) - new_max);
            V16_STORE(scores + u * stride + j, p);
            block_sum[u] += p;
        }
        // exp(−∞) = 0: a token's first window simply starts its sums.
        rescale[u] = V16_EXP(V16_SPLAT(old_max - new_max))[0];
        *sum = *sum * rescale[u] + V16_REDUCE_ADD(block_sum[u]);
        *maximum = new_max;
    }

    // o ← o·rescale + Σ_j p_j · v_j, unnormalised: the caller divides by the sums.
    for (ptrdiff_t c = 0; c < vector_end; c += 16) {
        v16f a[QUERY_BLOCK];
        for (int u = 0; u < block; u++) a[u] = V16_LOAD(o[u] + c) * rescale[u];
        for (ptrdiff_t j = 0; j < count; j++) {
            const v16f v = V16_LOAD(values + key_tokens[j] * row_stride + c);
            for (int u = 0; u < block; u++) a[u] += scores[u * stride + j] * v;
        }
        for (int u = 0; u < block; u++) V16_STORE(o[u] + c, a[u]);
    }
    for (ptrdiff_t c = vector_end; c < dh; c++) {
        for (int u = 0; u < block; u++) {
            float sum = o[u][c] * rescale[u];
            for (ptrdiff_t j = 0; j < count; j++) sum += scores[u * stride + j] * values[key_tokens[j] * row_stride + c];
            o[u][c] = sum;
        }
    }
}

static inline __attribute__((always_inline))
void window_attention(const ck_attention_forward *head, const ck_window *window, float *scratch) {
    const ptrdiff_t count = window->key_count, query_count = window->query_count;
    if (count <= 0 || query_count <= 0) return;
    const ck_head_rows rows = head->rows;
    const ptrdiff_t dh = rows.head_dimension, row_stride = rows.row_stride, stride = round_up_16(count);
    const ptrdiff_t *tokens = window->queries, *key_tokens = window->keys;
    float *kt = scratch, *scores = scratch + dh * stride;

    // Keys transposed once per call, 16 × 16 blocks in registers, zero past the last key.
    const ptrdiff_t vector_end = dh / 16 * 16;
    for (ptrdiff_t j = 0; j < stride; j += 16) {
        for (ptrdiff_t d = 0; d < vector_end; d += 16) {
            v16f block[16];
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < 16; r++) {
                block[r] = j + r < count ? V16_LOAD(rows.keys + key_tokens[j + r] * row_stride + d) : V16_SPLAT(0);
            }
            V16_TRANSPOSE(block);
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < 16; r++) V16_STORE(kt + (d + r) * stride + j, block[r]);
        }
    }
    // The features past the last whole vector, one at a time (not vectorised: a scatter).
    for (ptrdiff_t d = vector_end; d < dh; d++) {
        _Pragma("clang loop vectorize(disable)")
        for (ptrdiff_t j = 0; j < stride; j++) kt[d * stride + j] = j < count ? rows.keys[key_tokens[j] * row_stride + d] : 0;
    }
    ptrdiff_t i = 0;
    for (; i + QUERY_BLOCK <= query_count; i += QUERY_BLOCK) {
        attend_queries(QUERY_BLOCK, count, tokens + i, key_tokens, rows.queries, rows.values, row_stride, dh,
                       rows.scale, head->maxima, head->sums, head->state_stride, head->output,
                       head->output_stride, kt, scores);
    }
    for (; i < query_count; i++) {
        attend_queries(1, count, tokens + i, key_tokens, rows.queries, rows.values, row_stride, dh,
                       rows.scale, head->maxima, head->sums, head->state_stride, head->output,
                       head->output_stride, kt, scores);
    }
}

CK_MULTIVERSION void ck_window_attention(const ck_attention_forward *head, const ck_window *window, float *scratch) {
    window_attention(head, window, scratch);
}
void ck_window_attention_baseline(const ck_attention_forward *head, const ck_window *window, float *scratch) {
    window_attention(head, window, scratch);
}

static inline __attribute__((always_inline)) void softmax_exp(ptrdiff_t count, const float *x, float *y) {
    for (ptrdiff_t i = 0; i < count; i += 16) {
        v16f in = V16_SPLAT(0);
        for (ptrdiff_t l = 0; l < 16 && i + l < count; l++) in[l] = x[i + l];
        const v16f out = V16_EXP(in);
        for (ptrdiff_t l = 0; l < 16 && i + l < count; l++) y[i + l] = out[l];
    }
}
CK_MULTIVERSION void ck_softmax_exp(ptrdiff_t count, const float *x, float *y) { softmax_exp(count, x, y); }
