// fp32 GEMM: the portable kernel and the AVX-512 kernel, with one driver (packing:
// f32_pack.c). See include/pith_f32_gemm.h.
#include "include/pith_f32_gemm.h"
#include "include/pith_cpu_features.h"
#include <string.h>

#pragma clang fp contract(off)

#define NC 64

typedef void (*kernel_fn)(const float *x, long lda, int mr, const float *B, long pstride, int np, int32_t K,
                          const float *init, float *y, long ldy);

static void kernel_portable(const float *x, long lda, int mr, const float *B, long pstride, int np, int32_t K,
                            const float *init, float *y, long ldy) {
    for (int r = 0; r < mr; r++)
        for (int p = 0; p < np; p++) {
            float s[16];
            memcpy(s, init + 16 * p, sizeof s);
            const float *b = B + p * pstride;
            for (int32_t k = 0; k < K; k++) {
                float a = x[r * lda + k];
                for (int c = 0; c < 16; c++) s[c] = s[c] + a * b[k * 16 + c];
            }
            memcpy(y + r * ldy + 16 * p, s, sizeof s);
        }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,fma")))
#define INLINE static inline __attribute__((always_inline))

AVX512 INLINE void body512(const float *x, long lda, const float *B, long pstride, int32_t K, const float *init,
                           float *y, long ldy, const int MR, const int NP) {
    __m512 acc[6][4];
    for (int p = 0; p < NP; p++) {
        __m512 start = _mm512_loadu_ps(init + 16 * p);
        for (int r = 0; r < MR; r++) acc[r][p] = start;
    }
    for (int32_t k = 0; k < K; k++) {
        __m512 b[4];
        for (int p = 0; p < NP; p++) b[p] = _mm512_load_ps(B + p * pstride + k * 16);
        for (int r = 0; r < MR; r++) {
            __m512 a = _mm512_set1_ps(x[r * lda + k]);
            for (int p = 0; p < NP; p++) acc[r][p] = _mm512_fmadd_ps(a, b[p], acc[r][p]);
        }
    }
    for (int r = 0; r < MR; r++)
        for (int p = 0; p < NP; p++) _mm512_storeu_ps(y + r * ldy + 16 * p, acc[r][p]);
}

AVX512 static void kernel_avx512(const float *x, long lda, int mr, const float *B, long pstride, int np, int32_t K,
                                 const float *init, float *y, long ldy) {
#define CALL(R, P) body512(x, lda, B, pstride, K, init, y, ldy, R, P)
    switch (mr * 8 + np) {
    case 9: CALL(1, 1); break; case 10: CALL(1, 2); break; case 11: CALL(1, 3); break; case 12: CALL(1, 4); break;
    case 17: CALL(2, 1); break; case 18: CALL(2, 2); break; case 19: CALL(2, 3); break; case 20: CALL(2, 4); break;
    case 25: CALL(3, 1); break; case 26: CALL(3, 2); break; case 27: CALL(3, 3); break; case 28: CALL(3, 4); break;
    case 33: CALL(4, 1); break; case 34: CALL(4, 2); break; case 35: CALL(4, 3); break; case 36: CALL(4, 4); break;
    case 41: CALL(5, 1); break; case 42: CALL(5, 2); break; case 43: CALL(5, 3); break; case 44: CALL(5, 4); break;
    case 49: CALL(6, 1); break; case 50: CALL(6, 2); break; case 51: CALL(6, 3); break; case 52: CALL(6, 4); break;
    default: __builtin_unreachable();
    }
}
#endif

int pith_f32_path_supported(int path) {
    return path == 1 || (path == 2 && pith_cpu_has_avx512_fma());
}

int pith_f32_best_path(void) {
    static int decided = 0;
    if (!decided) {
        decided = pith_f32_path_supported(2) ? 2 : 1;
        if (pith_env_f32_path() == 1) decided = 1;  // PITH_F32_PATH=reference
    }
    return decided;
}

void pith_f32_gemm(const float *x, long lda, int32_t M, const pith_f32_packed *W, const float *bias, int relu,
                   float *y, long ldy, int path) {
    if (path == 0 || !pith_f32_path_supported(path)) path = pith_f32_best_path();
    kernel_fn kernel = kernel_portable;
    int mr_max = 4;
#if defined(__x86_64__)
    if (path == 2) { kernel = kernel_avx512; mr_max = 6; }
#endif
    const long pstride = (long)W->K * 16;
    float tile[6 * NC] __attribute__((aligned(64)));
    float init[NC];
    for (int32_t n0 = 0; n0 < W->NP; n0 += NC) {
        int np = (W->NP - n0) / 16 < 4 ? (W->NP - n0) / 16 : 4;
        int32_t nc = W->N - n0 < NC ? W->N - n0 : NC;
        for (int c = 0; c < 16 * np; c++) init[c] = (bias && c < nc) ? bias[n0 + c] : 0.0f;
        const float *B = W->data + (long)(n0 / 16) * pstride;
        for (int32_t m0 = 0; m0 < M; m0 += mr_max) {
            int mr = M - m0 < mr_max ? M - m0 : mr_max;
            int direct = nc == 16 * np && !relu;
            float *dst = direct ? y + m0 * ldy + n0 : tile;
            long ldd = direct ? ldy : NC;
            kernel(x + m0 * lda, lda, mr, B, pstride, np, W->K, init, dst, ldd);
            if (direct) continue;
            for (int r = 0; r < mr; r++) {
                float *row = y + (m0 + r) * ldy + n0;
                for (int32_t c = 0; c < nc; c++) {
                    float v = tile[r * NC + c];
                    row[c] = relu ? (v > 0.0f ? v : (v == v ? 0.0f : v)) : v;
                }
            }
        }
    }
}
