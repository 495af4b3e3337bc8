#include "ckernels.h"
#include "bf16_format.h"

float ck_bf16_round(float x) { return float_from_bf16(bf16_from_float(x)); }

ptrdiff_t ck_bf16_packed_count(ptrdiff_t n, ptrdiff_t k) {
    return bf16_panels(n) * bf16_pairs(k) * BF16_PANEL * 2;
}

void ck_bf16_pack(ptrdiff_t n, ptrdiff_t k, const float *w, ptrdiff_t ldw, uint16_t *packed) {
    const ptrdiff_t pairs = bf16_pairs(k);
    for (ptrdiff_t panel = 0; panel < bf16_panels(n); panel++) {
        for (ptrdiff_t p = 0; p < pairs; p++) {
            for (ptrdiff_t c = 0; c < BF16_PANEL; c++) {
                const ptrdiff_t column = panel * BF16_PANEL + c;
                for (ptrdiff_t e = 0; e < 2; e++) {
                    const ptrdiff_t input = 2 * p + e;
                    *packed++ = column < n && input < k ? bf16_from_float(w[column * ldw + input]) : 0;
                }
            }
        }
    }
}
