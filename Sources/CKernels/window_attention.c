#include <math.h>

#include "ckernels.h"
#include "ckernels_testing.h"
#include "vector16.h"

// Queries absorbed together: their score, exp and value chains interleave (one query's
// chain alone is latency-bound), and each key and value vector loaded serves all of them.
#define QUERY_BLOCK 4

// A window of at most this many tokens, all of them both its queries and its keys — every
// window of the band levels — takes `small_window`: one vector lane per query.
#define SMALL_WINDOW 16

ptrdiff_t ck_window_attention_scratch_count(ptrdiff_t key_count, ptrdiff_t head_dimension) {
    // Transposed keys (head_dimension × padded key count) and a score row per blocked query;
    // for a small window, transposed queries, the 16 × 16 weights and the rescale factors.
    const ptrdiff_t general = (head_dimension + QUERY_BLOCK) * round_up_16(key_count);
    const ptrdiff_t small = (head_dimension + SMALL_WINDOW + 1) * SMALL_WINDOW;
    return general > small ? general : small;
}

// Rows `tokens[0 ..< count]` of `source` (row stride `row_stride`), features
// `0 ..< features` (a multiple of 16), transposed into `out`: feature d of row j at
// `out[d · out_stride + j]`, zero for j from `count` up to a whole 16. 16 × 16 blocks go
// through registers (`V16_TRANSPOSE`); a scalar loop here is compiled to a scatter.
static inline __attribute__((always_inline))
void gather_transposed(const float *source, const ptrdiff_t *tokens, ptrdiff_t count, ptrdiff_t row_stride,
                       ptrdiff_t features, float *out, ptrdiff_t out_stride) {
    for (ptrdiff_t j = 0; j < count; j += 16) {
        for (ptrdiff_t d = 0; d < features; d += 16) {
            v16f block[16];
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < 16; r++) {
                block[r] = j + r < count ? V16_LOAD(source + tokens[j + r] * row_stride + d) : V16_SPLAT(0);
            }
            V16_TRANSPOSE(block);
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < 16; r++) V16_STORE(out + (d + r) * out_stride + j, block[r]);
        }
    }
}

// A small window with queries and keys the same `n` tokens, `dh` a multiple of 16. The
// general path holds one query's 16 scores in a vector, so each query pays horizontal
// reductions and a scalar exponential for its running softmax; here the scores are laid out
// key by key with one query per lane (from the queries transposed), so the softmax and the
// merge into the running states are plain vector arithmetic for all the queries at once.
static inline __attribute__((always_inline))
void small_window(const ck_attention_forward *head, ptrdiff_t n, const ptrdiff_t *tokens, bool starts,
                  float *scratch) {
    const ck_head_rows rows = head->rows;
    const ptrdiff_t dh = rows.head_dimension, row_stride = rows.row_stride;
    float *qt = scratch, *weights = qt + dh * SMALL_WINDOW, *rescale = weights + SMALL_WINDOW * SMALL_WINDOW;

    // Queries transposed: qt[d · 16 + u] is query u's feature d.
    gather_transposed(rows.queries, tokens, n, row_stride, dh, qt, SMALL_WINDOW);

    // Key j's scores, one query per lane: Σ_d qt[d] · k_j[d], four keys at a time.
    v16f best = V16_SPLAT(-INFINITY);
    ptrdiff_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const float *k0 = rows.keys + tokens[j] * row_stride, *k1 = rows.keys + tokens[j + 1] * row_stride;
        const float *k2 = rows.keys + tokens[j + 2] * row_stride, *k3 = rows.keys + tokens[j + 3] * row_stride;
        v16f s0 = V16_SPLAT(0), s1 = s0, s2 = s0, s3 = s0;
        for (ptrdiff_t d = 0; d < dh; d++) {
            const v16f q = V16_LOAD(qt + d * SMALL_WINDOW);
            s0 += q * k0[d];
            s1 += q * k1[d];
            s2 += q * k2[d];
            s3 += q * k3[d];
        }
        s0 *= rows.scale, s1 *= rows.scale, s2 *= rows.scale, s3 *= rows.scale;
        best = V16_MAX(V16_MAX(best, s0), V16_MAX(V16_MAX(s1, s2), s3));
        V16_STORE(weights + j * SMALL_WINDOW, s0);
        V16_STORE(weights + (j + 1) * SMALL_WINDOW, s1);
        V16_STORE(weights + (j + 2) * SMALL_WINDOW, s2);
        V16_STORE(weights + (j + 3) * SMALL_WINDOW, s3);
    }
    for (; j < n; j++) {
        const float *k = rows.keys + tokens[j] * row_stride;
        v16f s = V16_SPLAT(0);
        for (ptrdiff_t d = 0; d < dh; d++) s += V16_LOAD(qt + d * SMALL_WINDOW) * k[d];
        s *= rows.scale;
        best = V16_MAX(best, s);
        V16_STORE(weights + j * SMALL_WINDOW, s);
    }

    // The running softmax of every query at once: μ' = max(μ, best), σ' = σ·e^(μ−μ') + Σ_j
    // e^(s_j−μ'); the weights become e^(s_j−μ') and the outputs are rescaled by e^(μ−μ').
    float old_max[SMALL_WINDOW], old_sum[SMALL_WINDOW];
    for (ptrdiff_t u = 0; u < SMALL_WINDOW; u++) {
        old_max[u] = u < n && !starts ? head->maxima[tokens[u] * head->state_stride] : -INFINITY;
        old_sum[u] = u < n && !starts ? head->sums[tokens[u] * head->state_stride] : 0;
    }
    const v16f new_max = V16_MAX(V16_LOAD(old_max), best);
    v16f total = V16_SPLAT(0);
    for (j = 0; j < n; j++) {
        const v16f p = V16_EXP(V16_LOAD(weights + j * SMALL_WINDOW) - new_max);
        V16_STORE(weights + j * SMALL_WINDOW, p);
        total += p;
    }
    // exp(−∞) = 0: a token's first window simply starts its sums.
    const v16f factor = V16_EXP(V16_LOAD(old_max) - new_max);
    V16_STORE(rescale, factor);
    float new_sum[SMALL_WINDOW], maxima[SMALL_WINDOW];
    V16_STORE(new_sum, V16_LOAD(old_sum) * factor + total);
    V16_STORE(maxima, new_max);
    for (ptrdiff_t u = 0; u < n; u++) {
        head->maxima[tokens[u] * head->state_stride] = maxima[u];
        head->sums[tokens[u] * head->state_stride] = new_sum[u];
    }

    // o_u ← o_u·e^(μ−μ') + Σ_j w[j][u] · v_j, row by row as the output is laid out, four
    // queries at a time so each value vector loaded serves four.
    ptrdiff_t u = 0;
    for (; u + QUERY_BLOCK <= n; u += QUERY_BLOCK) {
        float *o[QUERY_BLOCK];
        for (int b = 0; b < QUERY_BLOCK; b++) o[b] = head->output + tokens[u + b] * head->output_stride;
        for (ptrdiff_t c = 0; c < dh; c += 16) {
            v16f a[QUERY_BLOCK];
            for (int b = 0; b < QUERY_BLOCK; b++) a[b] = starts ? V16_SPLAT(0) : V16_LOAD(o[b] + c) * rescale[u + b];
            for (j = 0; j < n; j++) {
                const v16f v = V16_LOAD(rows.values + tokens[j] * row_stride + c);
                const float *w = weights + j * SMALL_WINDOW + u;
                for (int b = 0; b < QUERY_BLOCK; b++) a[b] += w[b] * v;
            }
            for (int b = 0; b < QUERY_BLOCK; b++) V16_STORE(o[b] + c, a[b]);
        }
    }
    for (; u < n; u++) {
        float *o = head->output + tokens[u] * head->output_stride;
        for (ptrdiff_t c = 0; c < dh; c += 16) {
            v16f a = starts ? V16_SPLAT(0) : V16_LOAD(o + c) * rescale[u];
            for (j = 0; j < n; j++) a += weights[j * SMALL_WINDOW + u] * V16_LOAD(rows.values + tokens[j] * row_stride + c);
            V16_STORE(o + c, a);
        }
    }
}

// `block` queries (`tokens[0 ..< block]`) absorb the `count` keys `key_tokens`. A plain inline function
// taking no vectors, so that every clone inlines it with `block` constant.
static inline __attribute__((always_inline))
void attend_queries(int block, ptrdiff_t count, const ptrdiff_t *tokens, const ptrdiff_t *key_tokens,
                    const float *queries, const float *values, ptrdiff_t row_stride, ptrdiff_t dh,
                    float scale, float *maxima, float *sums, ptrdiff_t state_stride, bool starts,
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
        const float old_max = starts ? -INFINITY : *maximum;
        const float new_max = fmaxf(old_max, V16_REDUCE_MAX(block_max[u]));
        for (ptrdiff_t j = 0; j < stride; j += 16) {
            const v16f p = V16_EXP(V16_LOAD(scores + u * stride + j) - new_max);
            V16_STORE(scores + u * stride + j, p);
            block_sum[u] += p;
        }
        // exp(−∞) = 0: a token's first window simply starts its sums.
        rescale[u] = V16_EXP(V16_SPLAT(old_max - new_max))[0];
        *sum = (starts ? 0 : *sum * rescale[u]) + V16_REDUCE_ADD(block_sum[u]);
        *maximum = new_max;
    }

    // o ← o·rescale + Σ_j p_j · v_j, unnormalised: the caller divides by the sums.
    for (ptrdiff_t c = 0; c < vector_end; c += 16) {
        v16f a[QUERY_BLOCK];
        for (int u = 0; u < block; u++) a[u] = starts ? V16_SPLAT(0) : V16_LOAD(o[u] + c) * rescale[u];
        for (ptrdiff_t j = 0; j < count; j++) {
            const v16f v = V16_LOAD(values + key_tokens[j] * row_stride + c);
            for (int u = 0; u < block; u++) a[u] += scores[u * stride + j] * v;
        }
        for (int u = 0; u < block; u++) V16_STORE(o[u] + c, a[u]);
    }
    for (ptrdiff_t c = vector_end; c < dh; c++) {
        for (int u = 0; u < block; u++) {
            float sum = starts ? 0 : o[u][c] * rescale[u];
            for (ptrdiff_t j = 0; j < count; j++) sum += scores[u * stride + j] * values[key_tokens[j] * row_stride + c];
            o[u][c] = sum;
        }
    }
}

static inline __attribute__((always_inline))
void window_attention(const ck_attention_forward *head, const ck_window *window, float *scratch) {
    const ptrdiff_t count = window->key_count, query_count = window->query_count;
    if (count <= 0 || query_count <= 0) return;
    if (count <= SMALL_WINDOW && query_count == count && window->queries == window->keys
        && head->rows.head_dimension % 16 == 0) {
        // A whole window (every level's but at the far border) gets its own copy with `n`
        // constant: no bounds tests in the gather, the state loads or the key loop.
        if (count == SMALL_WINDOW) small_window(head, SMALL_WINDOW, window->keys, window->starts, scratch);
        else small_window(head, count, window->keys, window->starts, scratch);
        return;
    }
    const ck_head_rows rows = head->rows;
    const ptrdiff_t dh = rows.head_dimension, row_stride = rows.row_stride, stride = round_up_16(count);
    const ptrdiff_t *tokens = window->queries, *key_tokens = window->keys;
    float *kt = scratch, *scores = scratch + dh * stride;

    // Keys transposed once per call, zero past the last key.
    const ptrdiff_t vector_end = dh / 16 * 16;
    gather_transposed(rows.keys, key_tokens, count, row_stride, vector_end, kt, stride);
    // The features past the last whole vector, one at a time (not vectorised: a scatter).
    for (ptrdiff_t d = vector_end; d < dh; d++) {
        _Pragma("clang loop vectorize(disable)")
        for (ptrdiff_t j = 0; j < stride; j++) kt[d * stride + j] = j < count ? rows.keys[key_tokens[j] * row_stride + d] : 0;
    }
    ptrdiff_t i = 0;
    for (; i + QUERY_BLOCK <= query_count; i += QUERY_BLOCK) {
        attend_queries(QUERY_BLOCK, count, tokens + i, key_tokens, rows.queries, rows.values, row_stride, dh,
                       rows.scale, head->maxima, head->sums, head->state_stride, window->starts, head->output,
                       head->output_stride, kt, scores);
    }
    for (; i < query_count; i++) {
        attend_queries(1, count, tokens + i, key_tokens, rows.queries, rows.values, row_stride, dh,
                       rows.scale, head->maxima, head->sums, head->state_stride, window->starts, head->output,
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
