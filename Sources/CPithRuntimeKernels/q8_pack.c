// int8 GEMM: the packed layout of W (ruy's pack step, done once at load) and the
// layout helpers of the implicit-GEMM convolution. See include/pith_q8_gemm.h.
#include "q8_internal.h"
#include <string.h>

size_t pith_q8_packed_bytes(int32_t K, int32_t N) {
    size_t k4 = ((size_t)K + 3) / 4 * 4, np = ((size_t)N + 15) / 16 * 16;
    return k4 * np;
}

void pith_q8_pack(const int8_t *W, int32_t N, int32_t K, pith_q8_packed *p) {
    p->K = K;
    p->N = N;
    p->K4 = (K + 3) / 4 * 4;
    p->NP = (N + 15) / 16 * 16;
    const int32_t groups = p->K4 / 4;
    for (int32_t panel = 0; panel < p->NP / 16; panel++) {
        int8_t *dst = p->data + (size_t)panel * groups * 64;
        for (int32_t g = 0; g < groups; g++) {
            for (int32_t c = 0; c < 16; c++) {
                int32_t n = panel * 16 + c;
                for (int32_t t = 0; t < 4; t++) {
                    int32_t k = 4 * g + t;
                    dst[g * 64 + 4 * c + t] = (n < N && k < K) ? W[(size_t)n * K + k] : 0;
                }
            }
        }
    }
    for (int32_t n = 0; n < N; n++) {
        int32_t s = 0;
        for (int32_t k = 0; k < K; k++) s += W[(size_t)n * K + k];
        p->colsum[n] = s;
    }
}

void pith_q8_conv_offsets(int32_t C, int32_t k, int32_t kw, int32_t Wp, int32_t *goff) {
    for (int32_t t = 0, g = 0; t < k * kw * C; t += 4, g++) {
        int32_t c = t % C, kx = (t / C) % kw, ky = t / (C * kw);
        goff[g] = (ky * Wp + kx) * C + c;
    }
}

void pith_q8_gather_patches(const uint8_t *padded, int32_t Wp, int32_t C, int32_t stride, int32_t OH, int32_t OW,
                            const int32_t *goff, int32_t groups, uint8_t *rows) {
    for (int32_t m = 0; m < OH * OW; m++) {
        const uint8_t *base = padded + ((long)(m / OW) * stride * Wp + (long)(m % OW) * stride) * C;
        uint8_t *dst = rows + (long)m * groups * 4;
        for (int32_t g = 0; g < groups; g++) memcpy(dst + 4 * g, base + goff[g], 4);
    }
}
