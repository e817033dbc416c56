// See include/pith_runtime_ops.h.
#include "include/pith_runtime_ops.h"
#include "include/pith_train_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#pragma clang fp contract(off)

#define TRANSPOSE                                                                               \
    for (int32_t r0 = 0; r0 < rows; r0 += 16)                                                   \
        for (int32_t c0 = 0; c0 < cols; c0 += 16)                                               \
            for (int32_t c = c0; c < c0 + 16 && c < cols; c++)                                  \
                for (int32_t r = r0; r < r0 + 16 && r < rows; r++) dst[(long)c * rows + r] = src[(long)r * cols + c];

void pith_transpose_f32(const float *src, int32_t rows, int32_t cols, float *dst) { TRANSPOSE }
/// Bytes: 8 source rows at a time, each column's 8 bytes gathered into one word and
/// stored at once (cnn-teacher's flatten, 49 × 64, went from 1.4-2 µs to under 1).
void pith_transpose_u8(const uint8_t *src, int32_t rows, int32_t cols, uint8_t *dst) {
    int32_t r0 = 0;
    for (; r0 + 8 <= rows; r0 += 8) {
        const uint8_t *s = src + (long)r0 * cols;
        for (int32_t c = 0; c < cols; c++) {
            uint64_t v = 0;
            for (int t = 0; t < 8; t++) v |= (uint64_t)s[(long)t * cols + c] << (8 * t);
            __builtin_memcpy(dst + (long)c * rows + r0, &v, 8);
        }
    }
    for (; r0 < rows; r0++)
        for (int32_t c = 0; c < cols; c++) dst[(long)c * rows + r0] = src[(long)r0 * cols + c];
}

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

// Quantization. The reference divides by the scale and rounds half to even, and finds the
// first NaN or infinity in the same pass (the runtime's input check rides on it).
#define QUANTIZE_REFERENCE(T, LO, HI)                                                    \
    long bad = -1;                                                                       \
    for (long i = 0; i < n; i++) {                                                       \
        if (bad < 0 && !isfinite(x[i])) bad = i;                                         \
        float v = __builtin_nearbyintf(x[i] / scale) + (float)zero;                      \
        q[i] = (T)(v < LO ? LO : v > HI ? HI : v);                                       \
    }                                                                                    \
    return bad;

long pith_quantize_u8_reference(const float *x, long n, float scale, int32_t zero, uint8_t *q) { QUANTIZE_REFERENCE(uint8_t, 0.0f, 255.0f) }
long pith_quantize_s8_reference(const float *x, long n, float scale, int32_t zero, int8_t *q) { QUANTIZE_REFERENCE(int8_t, -128.0f, 127.0f) }

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

static long first_nonfinite_generic(const float *x, long n) { NONFINITE_BODY }

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
AVX512 static long first_nonfinite_avx512(const float *x, long n) { NONFINITE_BODY }

/// The reference's bytes without its division: y = x · fl(1/scale) is within 1.5·2⁻²³·|y|
/// of fl(x / scale), so wherever |y| < 1024 lies more than 2⁻¹⁰ from a half-integer both
/// round to the same integer; the few lanes nearer a tie are divided exactly. Where
/// |y| ≥ 1024 both clamp to the same end. NaN and ±∞ are noted (vfpclassps) as they pass.
AVX512 static long quantize_avx512(const float *x, long n, float scale, int32_t zero, void *q, int is_signed) {
    const __m512 inv = _mm512_set1_ps(1.0f / scale), s = _mm512_set1_ps(scale), z = _mm512_set1_ps((float)zero);
    const __m512 lo = _mm512_set1_ps(is_signed ? -128.0f : 0.0f), hi = _mm512_set1_ps(is_signed ? 127.0f : 255.0f);
    const __m512 tie_zone = _mm512_set1_ps(0.5f - 1.0f / 1024.0f), near_range = _mm512_set1_ps(1024.0f);
    __mmask16 nonfinite = 0;
    for (long i = 0; i < n; i += 16) {
        __mmask16 live = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(live, x + i);
        nonfinite |= _mm512_mask_fpclass_ps_mask(live, v, 0x99);  // QNaN, +∞, −∞, SNaN
        __m512 y = _mm512_mul_ps(v, inv);
        __m512 r = _mm512_roundscale_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m512 off = _mm512_abs_ps(_mm512_sub_ps(y, r));
        __mmask16 near = _mm512_cmp_ps_mask(off, tie_zone, _CMP_GE_OQ) & _mm512_cmp_ps_mask(_mm512_abs_ps(y), near_range, _CMP_LT_OQ) & live;
        if (near) r = _mm512_mask_roundscale_ps(r, near, _mm512_div_ps(v, s), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m512i c = _mm512_cvttps_epi32(_mm512_max_ps(_mm512_min_ps(_mm512_add_ps(r, z), hi), lo));
        // Narrow in a register, then store: the memory forms of vpmov(u)sdb are slow on Zen.
        __m128i bytes = is_signed ? _mm512_cvtsepi32_epi8(c) : _mm512_cvtusepi32_epi8(c);
        if (live == 0xFFFF) _mm_storeu_si128((__m128i *)((uint8_t *)q + i), bytes);
        else _mm_mask_storeu_epi8((uint8_t *)q + i, live, bytes);
    }
    return nonfinite ? first_nonfinite_generic(x, n) : -1;
}
#endif

int pith_runtime_ops_use_avx512(void) { return pith_train_kernels_use_avx512(); }

/// The fast path needs 1/scale finite and normal; anything else takes the reference.
__attribute__((unused)) static int reciprocal_ok(float scale) {
    float inv = 1.0f / scale;
    return scale > 0 && isnormal(scale) && isnormal(inv);
}

long pith_quantize_u8(const float *x, long n, float scale, int32_t zero, uint8_t *q) {
#if defined(__x86_64__)
    if (pith_runtime_ops_use_avx512() && reciprocal_ok(scale) && zero >= 0 && zero <= 255) return quantize_avx512(x, n, scale, zero, q, 0);
#endif
    return pith_quantize_u8_reference(x, n, scale, zero, q);
}

long pith_quantize_s8(const float *x, long n, float scale, int32_t zero, int8_t *q) {
#if defined(__x86_64__)
    if (pith_runtime_ops_use_avx512() && reciprocal_ok(scale) && zero >= -128 && zero <= 127) return quantize_avx512(x, n, scale, zero, q, 1);
#endif
    return pith_quantize_s8_reference(x, n, scale, zero, q);
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
        if (n > 0) d[0] = s[0];
        if (n > 1) d[1] = s[1];
        if (n > 2) d[2] = s[2];
    }
}

/// Sets n bytes to `byte` with overlapping 8-byte stores (short fills: patch borders and
/// row tails), instead of a call to memset.
static inline void fill_bytes(void *dst, int byte, size_t n) {
    unsigned char *d = dst;
    const uint64_t v = 0x0101010101010101ull * (uint8_t)byte;
    // No loop of unknown length below 8 bytes: the compiler would make it a memset call.
    if (n >= 8) {
        size_t i = 0;
        for (; i + 8 <= n; i += 8) __builtin_memcpy(d + i, &v, 8);
        if (i < n) __builtin_memcpy(d + n - 8, &v, 8);
    } else if (n >= 4) {
        __builtin_memcpy(d, &v, 4);
        __builtin_memcpy(d + n - 4, &v, 4);
    } else {
        if (n > 0) d[0] = (unsigned char)byte;
        if (n > 1) d[1] = (unsigned char)byte;
        if (n > 2) d[2] = (unsigned char)byte;
    }
}

// Both forms loop (oy, ky, ox) so the inner loop has few live values: one source
// row, one run length. Runs shorter than a word (a 3×3 or 5×5 kernel on one channel) are
// moved as one 4- or 8-byte load and store; the extra bytes land in bytes written later
// (the next kernel row, or the row's zero padding, which is why it needs enough slack
// ldr − K) and the extra bytes read stay inside the runtime's arena (64 bytes of slack).
/// One patch row at the image's left or right border: each of its k runs of C values is
/// copied where the column is inside the image and filled with the pad value where not.
#define BORDER_PATCH(T)                                                                                                          \
    for (int32_t kx = 0; kx < k; kx++) {                                                                                         \
        const int32_t ix = ox * stride - padding + kx;                                                                           \
        if (ix >= 0 && ix < W) copy_bytes(dst + kx * C, srow + (long)ix * C, (size_t)C * sizeof(T));                             \
        else fill_bytes(dst + kx * C, pad_byte, (size_t)C * sizeof(T));                                                    \
    }

#define IM2ROW_NHWC_BODY(T)                                                                                                      \
    const int32_t run = k * C, K = k * run;                                                                                      \
    /* Short runs move as one 4- or 8-byte word when the row has the slack for the overhang. */                                     \
    const int wide4 = run * (int32_t)sizeof(T) < 4 && (ldr - K) * (int32_t)sizeof(T) >= 4 - run * (int32_t)sizeof(T);            \
    const int wide8 = !wide4 && run * (int32_t)sizeof(T) < 8 && (ldr - K) * (int32_t)sizeof(T) >= 8 - run * (int32_t)sizeof(T);  \
    if (padding == 0 && wide8) {                                                                                                 \
        /* A padded input (no borders) with short runs: each patch row whole, k overlapping   */                                 \
        /* 8-byte moves in ky order (each overwrites the last one's overhang); the last one's */                                 \
        /* overhang is masked to zero, which starts the row's zero tail.                      */                                 \
        const int32_t bytes = run * (int32_t)sizeof(T);                                                                          \
        const uint64_t keep = ~0ull >> (64 - 8 * bytes);                                                                         \
        const size_t rest = (size_t)(ldr - K) * sizeof(T) - (size_t)(8 - bytes);                                                 \
        for (int32_t oy = 0; oy < OH; oy++)                                                                                      \
            for (int32_t ox = 0; ox < OW; ox++) {                                                                                \
                T *dst = rows + ((long)oy * OW + ox) * ldr;                                                                      \
                const T *src = x + ((long)oy * stride * W + (long)ox * stride) * C;                                              \
                uint64_t v;                                                                                                      \
                for (int32_t ky = 0; ky + 1 < k; ky++) {                                                                         \
                    __builtin_memcpy(&v, src + (long)ky * W * C, 8);                                                             \
                    __builtin_memcpy(dst + ky * run, &v, 8);                                                                     \
                }                                                                                                                \
                __builtin_memcpy(&v, src + (long)(k - 1) * W * C, 8);                                                            \
                v &= keep;                                                                                                       \
                __builtin_memcpy(dst + (k - 1) * run, &v, 8);                                                                    \
                if (rest) fill_bytes((unsigned char *)(dst + K) + (8 - bytes), 0, rest);                                         \
            }                                                                                                                    \
        return;                                                                                                                  \
    }                                                                                                                            \
    for (int32_t oy = 0; oy < OH; oy++) {                                                                                        \
        T *base = rows + (long)oy * OW * ldr;                                                                                    \
        for (int32_t ky = 0; ky < k; ky++) {                                                                                     \
            const int32_t iy = oy * stride - padding + ky;                                                                       \
            const T *srow = (iy >= 0 && iy < H) ? x + (long)iy * W * C : 0;                                                      \
            T *dst = base + ky * run;                                                                                            \
            int32_t ox = 0;                                                                                                      \
            if (srow) {                                                                                                          \
                /* Left border, interior, right border. */                                                                          \
                for (; ox < OW && ox * stride - padding < 0; ox++, dst += ldr) BORDER_PATCH(T);                                 \
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
                for (; ox < OW; ox++, dst += ldr) BORDER_PATCH(T);                                                              \
            } else {                                                                                                             \
                for (; ox < OW; ox++, dst += ldr) fill_bytes(dst, pad_byte, (size_t)run * sizeof(T));                           \
            }                                                                                                                    \
        }                                                                                                                        \
        if (ldr > K) {                                                                                                           \
            for (int32_t ox = 0; ox < OW; ox++) fill_bytes(base + (long)ox * ldr + K, 0, (size_t)(ldr - K) * sizeof(T));         \
        }                                                                                                                        \
    }                                                                                                                            \

void pith_im2row_nhwc_f32(const float *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t padding,
                          int32_t OH, int32_t OW, float *rows) {
    const int32_t ldr = k * k * C;
    const int pad_byte = 0;  // the float pad is 0.0f: all bits zero
    IM2ROW_NHWC_BODY(float)
}

void pith_im2row_nhwc_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t padding,
                         int32_t OH, int32_t OW, uint8_t pad, uint8_t *rows, int32_t ldr) {
    const int pad_byte = pad;
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

void pith_pad_nhwc_u8(const uint8_t *x, int32_t H, int32_t W, int32_t C, int32_t p, uint8_t value, uint8_t *out) {
    const long row = (long)W * C, prow = (long)(W + 2 * p) * C, side = (long)p * C;
    fill_bytes(out, value, (size_t)(p * prow + side));
    for (int32_t y = 0; y < H; y++) {
        uint8_t *dst = out + (long)(y + p) * prow + side;
        __builtin_memcpy(dst, x + (long)y * row, (size_t)row);
        // This row's right border and the next row's left border are adjacent.
        fill_bytes(dst + row, value, (size_t)(2 * side));
    }
    // The bottom rows, less the left border the last row's fill already wrote.
    fill_bytes(out + (long)(H + p) * prow + side, value, (size_t)(p * prow - side));
}

int pith_channel_order_enabled(void) {
    const char *v = getenv("PITH_CHANNEL_ORDER");
    return !(v && strcmp(v, "0") == 0);
}
