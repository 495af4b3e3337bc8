#include <stdlib.h>

#include "ckernels.h"
#include "ckernels_testing.h"
#include "bf16_format.h"
#include "product_output.h"

// The same sums as the AVX512-BF16 kernel in plain C: bf16 × bf16 products are exact
// in fp32, so only the order of the fp32 additions can differ.
void ck_bf16_gemm_portable(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                           const float *x, ptrdiff_t ldx, const uint16_t *packed,
                           const float *bias, float *y, ptrdiff_t ldy, ck_output output) {
    if (m <= 0 || n <= 0) return;
    const ptrdiff_t pairs = bf16_pairs(k);
    float *row = malloc(sizeof(float) * (size_t)(2 * pairs + 1));
    if (!row) abort();
    for (ptrdiff_t i = 0; i < m; i++) {
        for (ptrdiff_t input = 0; input < 2 * pairs; input++) {
            row[input] = input < k ? float_from_bf16(bf16_from_float(x[i * ldx + input])) : 0;
        }
        for (ptrdiff_t panel = 0; panel < bf16_panels(n); panel++) {
            const uint16_t *w = packed + panel * pairs * BF16_PANEL * 2;
            float sums[BF16_PANEL] = {0};
            for (ptrdiff_t p = 0; p < pairs; p++, w += BF16_PANEL * 2) {
                for (int c = 0; c < BF16_PANEL; c++) {
                    sums[c] += row[2 * p] * float_from_bf16(w[2 * c]) + row[2 * p + 1] * float_from_bf16(w[2 * c + 1]);
                }
            }
            for (int c = 0; c < BF16_PANEL && panel * BF16_PANEL + c < n; c++) {
                const ptrdiff_t column = panel * BF16_PANEL + c;
                ck_store_output(&y[i * ldy + column], sums[c] + (bias ? bias[column] : 0), output);
            }
        }
    }
    free(row);
}

// c (+)= Σₜ bf16(a[t][i]) · bf16(b[t][j]), one fp32 sum per entry down the rows.
void ck_bf16_gemm_atb_portable(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k,
                               const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                               float *c, ptrdiff_t ldc, bool accumulate) {
    for (ptrdiff_t i = 0; i < m; i++) {
        for (ptrdiff_t j = 0; j < n; j++) {
            float sum = 0;
            for (ptrdiff_t t = 0; t < k; t++) {
                sum += float_from_bf16(bf16_from_float(a[t * lda + i])) * float_from_bf16(bf16_from_float(b[t * ldb + j]));
            }
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + sum : sum;
        }
    }
}
