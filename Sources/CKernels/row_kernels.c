#include <math.h>

#include "ckernels.h"
#include "ckernels_testing.h"
#include "vector16.h"

static inline __attribute__((always_inline))
void add_bias_gelu(ptrdiff_t rows, ptrdiff_t columns, const float *bias, float *matrix) {
    const ptrdiff_t vector_end = columns / 16 * 16;
    for (ptrdiff_t r = 0; r < rows; r++) {
        float *row = matrix + r * columns;
        for (ptrdiff_t c = 0; c < vector_end; c += 16) {
            V16_STORE(row + c, V16_GELU(V16_LOAD(row + c) + (bias ? V16_LOAD(bias + c) : V16_SPLAT(0))));
        }
        // The tail through a zero-padded vector, so every element takes the same arithmetic.
        if (vector_end < columns) {
            float tail[16] = {0};
            for (ptrdiff_t c = vector_end; c < columns; c++) tail[c - vector_end] = row[c] + (bias ? bias[c] : 0);
            V16_STORE(tail, V16_GELU(V16_LOAD(tail)));
            for (ptrdiff_t c = vector_end; c < columns; c++) row[c] = tail[c - vector_end];
        }
    }
}

// One row's mean and 1/sqrt(var + eps), in two passes (mean, then squared deviations):
// E[x²] − E[x]² loses digits far from zero. Inference and training share it.
static inline __attribute__((always_inline))
void row_statistics(const float *x, ptrdiff_t columns, float epsilon, float *mean_out, float *inverse_out) {
    const ptrdiff_t vector_end = columns / 16 * 16;
    const float count = (float)columns;
    v16f sums = V16_SPLAT(0);
    ptrdiff_t c = 0;
    for (; c < vector_end; c += 16) sums += V16_LOAD(x + c);
    float sum = V16_REDUCE_ADD(sums);
    for (; c < columns; c++) sum += x[c];
    const float mean = sum / count;

    v16f squares = V16_SPLAT(0);
    for (c = 0; c < vector_end; c += 16) {
        const v16f d = V16_LOAD(x + c) - mean;
        squares += d * d;
    }
    float square_sum = V16_REDUCE_ADD(squares);
    for (; c < columns; c++) square_sum += (x[c] - mean) * (x[c] - mean);
    *mean_out = mean;
    *inverse_out = 1.0f / sqrtf(square_sum / count + epsilon);
}

/// One row `y = (x − mean) · inverse`, then `· weight + bias` when `weight` is given (as
/// one expression, so the rounding is LayerNorm's whichever caller); returns `inverse`.
/// Inlined into each caller, so the `weight` test folds away.
static inline __attribute__((always_inline))
float normalise_row(const float *x, ptrdiff_t columns, float epsilon, const float *weight, const float *bias,
                    float *y) {
    float mean, inverse;
    row_statistics(x, columns, epsilon, &mean, &inverse);
    const ptrdiff_t vector_end = columns / 16 * 16;
    ptrdiff_t c = 0;
    if (weight) {
        for (; c < vector_end; c += 16) {
            V16_STORE(y + c, (V16_LOAD(x + c) - mean) * inverse * V16_LOAD(weight + c) + V16_LOAD(bias + c));
        }
        for (; c < columns; c++) y[c] = (x[c] - mean) * inverse * weight[c] + bias[c];
    } else {
        for (; c < vector_end; c += 16) V16_STORE(y + c, (V16_LOAD(x + c) - mean) * inverse);
        for (; c < columns; c++) y[c] = (x[c] - mean) * inverse;
    }
    return inverse;
}

static inline __attribute__((always_inline))
void layer_norm(ptrdiff_t rows, ptrdiff_t columns, const float *input, float *output,
                const float *weight, const float *bias, float epsilon) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        normalise_row(input + r * columns, columns, epsilon, weight, bias, output + r * columns);
    }
}

CK_MULTIVERSION void ck_layer_norm_normalise(ptrdiff_t rows, ptrdiff_t columns, const float *input,
                                             float *normalised, float *inverse_deviation, float epsilon) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        inverse_deviation[r] = normalise_row(input + r * columns, columns, epsilon, NULL, NULL,
                                             normalised + r * columns);
    }
}

CK_MULTIVERSION void ck_add_bias_gelu(ptrdiff_t rows, ptrdiff_t columns, const float *bias, float *matrix) {
    add_bias_gelu(rows, columns, bias, matrix);
}

void ck_add_bias_gelu_baseline(ptrdiff_t rows, ptrdiff_t columns, const float *bias, float *matrix) {
    add_bias_gelu(rows, columns, bias, matrix);
}

static inline __attribute__((always_inline))
void gelu_with_derivative(ptrdiff_t count, float *pre_activation, float *activation) {
    ptrdiff_t i = 0;
    for (; i + 16 <= count; i += 16) {
        const v16f u = V16_LOAD(pre_activation + i);
        const v16f cdf = V16_NORMAL_CDF(u);
        // φ(u) = exp(−u²/2)/√(2π); the argument is ≤ 0, the range V16_EXP serves.
        const v16f density = V16_EXP(-0.5f * u * u) * 0.39894228040143268f;
        V16_STORE(activation + i, u * cdf);
        V16_STORE(pre_activation + i, cdf + u * density);
    }
    for (; i < count; i++) {
        // The tail through a zero-padded vector: every element takes the same arithmetic.
        float tail[16] = {0};
        tail[0] = pre_activation[i];
        const v16f u = V16_LOAD(tail);
        const v16f cdf = V16_NORMAL_CDF(u);
        const v16f density = V16_EXP(-0.5f * u * u) * 0.39894228040143268f;
        activation[i] = (u * cdf)[0];
        pre_activation[i] = (cdf + u * density)[0];
    }
}

CK_MULTIVERSION void ck_gelu_with_derivative(ptrdiff_t count, float *pre_activation, float *activation) {
    gelu_with_derivative(count, pre_activation, activation);
}

void ck_gelu_with_derivative_baseline(ptrdiff_t count, float *pre_activation, float *activation) {
    gelu_with_derivative(count, pre_activation, activation);
}

CK_MULTIVERSION void ck_layer_norm(ptrdiff_t rows, ptrdiff_t columns, const float *input, float *output,
                                   const float *weight, const float *bias, float epsilon) {
    layer_norm(rows, columns, input, output, weight, bias, epsilon);
}

void ck_layer_norm_baseline(ptrdiff_t rows, ptrdiff_t columns, const float *input, float *output,
                            const float *weight, const float *bias, float epsilon) {
    layer_norm(rows, columns, input, output, weight, bias, epsilon);
}
