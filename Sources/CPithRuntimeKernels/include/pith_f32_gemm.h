// fp32 GEMM for inference: y (M, N) = x (M, K) · Wᵀ + b, W (N, K) as a Dense layer stores
// it. W is packed once (pith_f32_pack): columns in panels of 16, k-major inside a panel,
// so one 64-byte load holds W[16p .. 16p+15][k]. Paths: a portable kernel (separate
// multiply and add, the reference) and AVX-512 (fused multiply-add, which rounds once
// per step instead of twice: results differ from the reference by at most the usual
// summation error, which tests bound). PITH_F32_PATH=reference|avx512 forces one.
#ifndef PITH_F32_GEMM_H
#define PITH_F32_GEMM_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int32_t K, N, NP;  // NP: N rounded up to 16
    float *data;       // (NP/16) panels × K × 16, 64-byte aligned
} pith_f32_packed;

size_t pith_f32_packed_floats(int32_t K, int32_t N);
void pith_f32_pack(const float *W, int32_t N, int32_t K, pith_f32_packed *p);

/// y = x·Wᵀ + bias (bias may be NULL), then max(y, 0) when relu. lda, ldy in elements.
/// path: 0 auto, 1 reference, 2 avx512.
void pith_f32_gemm(const float *x, long lda, int32_t M, const pith_f32_packed *W, const float *bias, int relu,
                   float *y, long ldy, int path);

/// Whether `path` runs here, and the one auto picks.
int pith_f32_path_supported(int path);
int pith_f32_best_path(void);

#endif
