// The runtime's pools: max and mean over k×k windows, channel-major (C, H, W) and
// channels-last (H, W, C), float and uint8 codes. See include/pith_runtime_ops.h.
#include "include/pith_runtime_ops.h"
#include <math.h>

#pragma clang fp contract(off)

#define POOL(T, ACC, INIT, STEP, FINISH)                                                        \
    for (int32_t c = 0; c < C; c++)                                                             \
        for (int32_t oy = 0; oy < OH; oy++)                                                     \
            for (int32_t ox = 0; ox < OW; ox++) {                                               \
                ACC a = INIT;                                                                   \
                for (int32_t ky = 0; ky < k; ky++)                                              \
                    for (int32_t kx = 0; kx < k; kx++) {                                        \
                        T v = x[((long)c * H + oy * stride + ky) * W + ox * stride + kx];       \
                        STEP;                                                                   \
                    }                                                                           \
                y[((long)c * OH + oy) * OW + ox] = FINISH;                                      \
            }

void pith_maxpool_f32(const float *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, float *y) {
    // NaN wins, as in the training op.
    POOL(float, float, -INFINITY, a = (v > a || v != v) && a == a ? v : a, a)
}
void pith_maxpool_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, uint8_t *y) {
    if (k == 2 && stride == 2) {  // the common case, without the window loops
        for (int32_t c = 0; c < C; c++)
            for (int32_t oy = 0; oy < OH; oy++) {
                const uint8_t *r0 = x + ((long)c * H + 2 * oy) * W, *r1 = r0 + W;
                uint8_t *dst = y + ((long)c * OH + oy) * OW;
                for (int32_t ox = 0; ox < OW; ox++) {
                    uint8_t a = r0[2 * ox] > r0[2 * ox + 1] ? r0[2 * ox] : r0[2 * ox + 1];
                    uint8_t b = r1[2 * ox] > r1[2 * ox + 1] ? r1[2 * ox] : r1[2 * ox + 1];
                    dst[ox] = a > b ? a : b;
                }
            }
        return;
    }
    POOL(uint8_t, uint8_t, 0, a = v > a ? v : a, a)
}
void pith_avgpool_f32(const float *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, float *y) {
    POOL(float, float, 0.0f, a += v, a / (float)(k * k))
}
void pith_avgpool_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, uint8_t *y) {
    POOL(uint8_t, int32_t, 0, a += v, (uint8_t)((a + k * k / 2) / (k * k)))
}

// Max-pool channels-last: each window position is a run of C values, combined
// element-wise (vectorizable) into the output run.
#define MAXPOOL_NHWC(T, TAKE)                                                                   \
    for (int32_t oy = 0; oy < OH; oy++)                                                         \
        for (int32_t ox = 0; ox < OW; ox++) {                                                   \
            T *dst = y + ((long)oy * OW + ox) * C;                                              \
            const T *first = x + ((long)oy * stride * W + (long)ox * stride) * C;               \
            for (int32_t c = 0; c < C; c++) dst[c] = first[c];                                  \
            for (int32_t ky = 0; ky < k; ky++)                                                  \
                for (int32_t kx = 0; kx < k; kx++) {                                            \
                    if (ky == 0 && kx == 0) continue;                                           \
                    const T *src = x + (((long)oy * stride + ky) * W + (long)ox * stride + kx) * C; \
                    for (int32_t c = 0; c < C; c++) { T a = dst[c], v = src[c]; dst[c] = TAKE; } \
                }                                                                               \
        }

#define POOL_NHWC(T, ACC, INIT, STEP, FINISH)                                                   \
    for (int32_t oy = 0; oy < OH; oy++)                                                         \
        for (int32_t ox = 0; ox < OW; ox++) {                                                   \
            T *dst = y + ((long)oy * OW + ox) * C;                                              \
            for (int32_t c = 0; c < C; c++) {                                                   \
                ACC a = INIT;                                                                   \
                for (int32_t ky = 0; ky < k; ky++)                                              \
                    for (int32_t kx = 0; kx < k; kx++) {                                        \
                        T v = x[(((long)oy * stride + ky) * W + ox * stride + kx) * C + c];     \
                        STEP;                                                                   \
                    }                                                                           \
                dst[c] = FINISH;                                                                \
            }                                                                                   \
        }

void pith_maxpool_nhwc_f32(const float *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, float *y) {
    (void)H;
    MAXPOOL_NHWC(float, (v > a || v != v) && a == a ? v : a)
}
/// 2×2 windows, stride 2 (the common pool): each output run is the element-wise max of
/// four input runs, a loop the compiler vectorizes.
static void maxpool2_nhwc_u8(const uint8_t *restrict x, int32_t C, int32_t W, int32_t OH, int32_t OW, uint8_t *restrict y) {
    const long row = (long)W * C;
    for (int32_t oy = 0; oy < OH; oy++) {
        for (int32_t ox = 0; ox < OW; ox++) {
            const uint8_t *a = x + 2 * oy * row + 2L * ox * C, *b = a + C, *c = a + row, *d = c + C;
            uint8_t *dst = y + ((long)oy * OW + ox) * C;
            for (int32_t i = 0; i < C; i++) {
                uint8_t m0 = a[i] > b[i] ? a[i] : b[i], m1 = c[i] > d[i] ? c[i] : d[i];
                dst[i] = m0 > m1 ? m0 : m1;
            }
        }
    }
}

void pith_maxpool_nhwc_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, uint8_t *y) {
    if (k == 2 && stride == 2) { maxpool2_nhwc_u8(x, C, W, OH, OW, y); return; }
    (void)H;
    MAXPOOL_NHWC(uint8_t, v > a ? v : a)
}
void pith_avgpool_nhwc_f32(const float *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, float *y) {
    (void)H;
    POOL_NHWC(float, float, 0.0f, a += v, a / (float)(k * k))
}
void pith_avgpool_nhwc_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, uint8_t *y) {
    (void)H;
    POOL_NHWC(uint8_t, int32_t, 0, a += v, (uint8_t)((a + k * k / 2) / (k * k)))
}
