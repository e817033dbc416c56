// See include/pith_runtime_ops.h.
#include "include/pith_runtime_ops.h"
#include "include/pith_train_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#pragma clang fp contract(off)

#define TRANSPOSE                                                                               \
    for (int32_t r0 = 0; r0 < rows; r0 += 16)                                                   \
        for (int32_t c0 = 0; c0 < cols; c0 += 16)                                               \
            for (int32_t c = c0; c < c0 + 16 && c < cols; c++)                                  \
                for (int32_t r = r0; r < r0 + 16 && r < rows; r++) dst[(long)c * rows + r] = src[(long)r * cols + c];

void pith_transpose_f32(const float *src, int32_t rows, int32_t cols, float *dst) { TRANSPOSE }
void pith_transpose_u8(const uint8_t *src, int32_t rows, int32_t cols, uint8_t *dst) { TRANSPOSE }

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

void pith_softmax_f32(float *x, int32_t n) {
    float m = -INFINITY;
    for (int32_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
    float s = 0;
    for (int32_t i = 0; i < n; i++) { x[i] = expf(x[i] - m); s += x[i]; }
    for (int32_t i = 0; i < n; i++) x[i] /= s;
}

// Quantization: one body, compiled portable and with AVX-512 (where the compiler turns
// nearbyintf into vrndscaleps and vectorizes); each operation is exact IEEE arithmetic,
// so both give the same bytes (tests check).
#define QUANTIZE_BODY(T, LO, HI)                                                         \
    for (long i = 0; i < n; i++) {                                                       \
        float v = __builtin_nearbyintf(x[i] / scale) + (float)zero;                      \
        q[i] = (T)(v < LO ? LO : v > HI ? HI : v);                                       \
    }

#define NONFINITE_BODY                                                                   \
    uint32_t any = 0;                                                                    \
    for (long i = 0; i < n; i++) {                                                       \
        uint32_t bits;                                                                   \
        __builtin_memcpy(&bits, x + i, 4);                                               \
        any |= (bits & 0x7f800000u) == 0x7f800000u;                                      \
    }                                                                                    \
    if (!any) return -1;                                                                 \
    for (long i = 0; i < n; i++) if (!isfinite(x[i])) return i;                          \
    return -1;

static void quantize_u8_generic(const float *x, long n, float scale, int32_t zero, uint8_t *q) { QUANTIZE_BODY(uint8_t, 0.0f, 255.0f) }
static void quantize_s8_generic(const float *x, long n, float scale, int32_t zero, int8_t *q) { QUANTIZE_BODY(int8_t, -128.0f, 127.0f) }
static long first_nonfinite_generic(const float *x, long n) { NONFINITE_BODY }

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw")))
AVX512 static void quantize_u8_avx512(const float *x, long n, float scale, int32_t zero, uint8_t *q) { QUANTIZE_BODY(uint8_t, 0.0f, 255.0f) }
AVX512 static void quantize_s8_avx512(const float *x, long n, float scale, int32_t zero, int8_t *q) { QUANTIZE_BODY(int8_t, -128.0f, 127.0f) }
AVX512 static long first_nonfinite_avx512(const float *x, long n) { NONFINITE_BODY }
#endif

int pith_runtime_ops_use_avx512(void) { return pith_train_kernels_use_avx512(); }

void pith_quantize_u8(const float *x, long n, float scale, int32_t zero, uint8_t *q) {
#if defined(__x86_64__)
    if (pith_runtime_ops_use_avx512()) { quantize_u8_avx512(x, n, scale, zero, q); return; }
#endif
    quantize_u8_generic(x, n, scale, zero, q);
}

void pith_quantize_s8(const float *x, long n, float scale, int32_t zero, int8_t *q) {
#if defined(__x86_64__)
    if (pith_runtime_ops_use_avx512()) { quantize_s8_avx512(x, n, scale, zero, q); return; }
#endif
    quantize_s8_generic(x, n, scale, zero, q);
}

long pith_first_nonfinite(const float *x, long n) {
#if defined(__x86_64__)
    if (pith_runtime_ops_use_avx512()) return first_nonfinite_avx512(x, n);
#endif
    return first_nonfinite_generic(x, n);
}

void pith_dequantize_u8(const uint8_t *q, long n, float scale, int32_t zero, float *x) {
    for (long i = 0; i < n; i++) x[i] = scale * (float)((int32_t)q[i] - zero);
}

void pith_dequantize_s8(const int8_t *q, long n, float scale, int32_t zero, float *x) {
    for (long i = 0; i < n; i++) x[i] = scale * (float)((int32_t)q[i] - zero);
}

void pith_dequantize_s32(const int32_t *q, long n, float scale, int32_t zero, float *x) {
    for (long i = 0; i < n; i++) x[i] = scale * (float)(q[i] - zero);
}

void pith_relu_u8(const uint8_t *x, long n, uint8_t floor, uint8_t *y) {
    for (long i = 0; i < n; i++) y[i] = x[i] > floor ? x[i] : floor;
}

void pith_relu_f32(const float *x, long n, float *y) {
    for (long i = 0; i < n; i++) y[i] = (x[i] > 0.0f || x[i] != x[i]) ? x[i] : 0.0f;
}

void pith_add_f32(const float *a, const float *b, long n, float *y) {
    for (long i = 0; i < n; i++) y[i] = a[i] + b[i];
}

// MARK: channels last

/// Copies n bytes with at most two overlapping loads and stores per size class (patch
/// runs are short: 3 to 160 bytes), instead of a call to memcpy.
static inline void copy_bytes(void *dst, const void *src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n >= 32) {
        size_t i = 0;
        for (; i + 32 <= n; i += 32) __builtin_memcpy(d + i, s + i, 32);
        if (i < n) __builtin_memcpy(d + n - 32, s + n - 32, 32);
    } else if (n >= 16) {
        __builtin_memcpy(d, s, 16);
        __builtin_memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        __builtin_memcpy(d, s, 8);
        __builtin_memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        __builtin_memcpy(d, s, 4);
        __builtin_memcpy(d + n - 4, s + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++) d[i] = s[i];
    }
}

// Both forms loop (oy, ky, ox) so the inner loop has few live values: one source
// row, one run length. Runs shorter than a word (a 3×3 or 5×5 kernel on one channel) are
// moved as one 4- or 8-byte load and store; the extra bytes land in bytes written later
// (the next kernel row, or the row's zero padding, which is why it needs enough slack
// ldr − K) and the extra bytes read stay inside the runtime's arena (64 bytes of slack).
#define IM2ROW_NHWC_BODY(T)                                                                                                      \
    const int32_t run = k * C, K = k * run;                                                                                      \
    /* Short runs move as one 4- or 8-byte word when the row has the slack for the overhang. */                                     \
    const int wide4 = run * (int32_t)sizeof(T) < 4 && (ldr - K) * (int32_t)sizeof(T) >= 4 - run * (int32_t)sizeof(T);            \
    const int wide8 = !wide4 && run * (int32_t)sizeof(T) < 8 && (ldr - K) * (int32_t)sizeof(T) >= 8 - run * (int32_t)sizeof(T);  \
    for (int32_t oy = 0; oy < OH; oy++) {                                                                                        \
        T *base = rows + (long)oy * OW * ldr;                                                                                    \
        for (int32_t ky = 0; ky < k; ky++) {                                                                                     \
            const int32_t iy = oy * stride - padding + ky;                                                                       \
            const T *srow = (iy >= 0 && iy < H) ? x + (long)iy * W * C : 0;                                                      \
            T *dst = base + ky * run;                                                                                            \
            int32_t ox = 0;                                                                                                      \
            if (srow) {                                                                                                          \
                /* Left border, interior, right border. */                                                                          \
                for (; ox < OW && ox * stride - padding < 0; ox++, dst += ldr) {                                                 \
                    for (int32_t kx = 0; kx < k; kx++) {                                                                         \
                        const int32_t ix = ox * stride - padding + kx;                                                           \
                        for (int32_t c = 0; c < C; c++) dst[kx * C + c] = (ix >= 0 && ix < W) ? srow[(long)ix * C + c] : pad;    \
                    }                                                                                                            \
                }                                                                                                                \
                const T *src = srow + (long)(ox * stride - padding) * C;                                                         \
                if (wide4) {                                                                                                     \
                    for (; ox < OW && ox * stride - padding + k <= W; ox++, dst += ldr, src += (long)stride * C) {               \
                        uint32_t v;                                                                                              \
                        __builtin_memcpy(&v, src, 4);                                                                            \
                        __builtin_memcpy(dst, &v, 4);                                                                            \
                    }                                                                                                            \
                } else if (wide8) {                                                                                              \
                    for (; ox < OW && ox * stride - padding + k <= W; ox++, dst += ldr, src += (long)stride * C) {               \
                        uint64_t v;                                                                                              \
                        __builtin_memcpy(&v, src, 8);                                                                            \
                        __builtin_memcpy(dst, &v, 8);                                                                            \
                    }                                                                                                            \
                } else {                                                                                                         \
                    for (; ox < OW && ox * stride - padding + k <= W; ox++, dst += ldr, src += (long)stride * C)                 \
                        copy_bytes(dst, src, (size_t)run * sizeof(T));                                                           \
                }                                                                                                                \
                for (; ox < OW; ox++, dst += ldr) {                                                                              \
                    for (int32_t kx = 0; kx < k; kx++) {                                                                         \
                        const int32_t ix = ox * stride - padding + kx;                                                           \
                        for (int32_t c = 0; c < C; c++) dst[kx * C + c] = (ix >= 0 && ix < W) ? srow[(long)ix * C + c] : pad;    \
                    }                                                                                                            \
                }                                                                                                                \
            } else {                                                                                                             \
                for (; ox < OW; ox++, dst += ldr) for (int32_t t = 0; t < run; t++) dst[t] = pad;                                \
            }                                                                                                                    \
        }                                                                                                                        \
        if (ldr > K) {                                                                                                           \
            for (int32_t ox = 0; ox < OW; ox++) for (int32_t t = K; t < ldr; t++) base[(long)ox * ldr + t] = 0;                  \
        }                                                                                                                        \
    }                                                                                                                            \

void pith_im2row_nhwc_f32(const float *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t padding,
                          int32_t OH, int32_t OW, float *rows) {
    const int32_t ldr = k * k * C;
    const float pad = 0.0f;
    IM2ROW_NHWC_BODY(float)
}

void pith_im2row_nhwc_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t padding,
                         int32_t OH, int32_t OW, uint8_t pad, uint8_t *rows, int32_t ldr) {
    IM2ROW_NHWC_BODY(uint8_t)
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
void pith_maxpool_nhwc_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, uint8_t *y) {
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
