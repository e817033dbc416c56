// fp32 GEMM: the packed layout of W (columns in panels of 16, k-major inside a panel),
// built once at load. See include/pith_f32_gemm.h.
#include "include/pith_f32_gemm.h"

size_t pith_f32_packed_floats(int32_t K, int32_t N) { return (size_t)K * (((size_t)N + 15) / 16 * 16); }

void pith_f32_pack(const float *W, int32_t N, int32_t K, pith_f32_packed *p) {
    p->K = K;
    p->N = N;
    p->NP = (N + 15) / 16 * 16;
    for (int32_t panel = 0; panel < p->NP / 16; panel++) {
        float *dst = p->data + (size_t)panel * K * 16;
        for (int32_t k = 0; k < K; k++)
            for (int32_t c = 0; c < 16; c++) {
                int32_t n = panel * 16 + c;
                dst[k * 16 + c] = n < N ? W[(size_t)n * K + k] : 0.0f;
            }
    }
}
