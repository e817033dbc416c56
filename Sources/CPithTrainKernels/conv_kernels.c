// Convolution and pooling index kernels: one body, compiled portable and AVX-512, chosen
// at run time. See include/pith_conv_kernels.h.
#include "pith_conv_kernels.h"
#include "pith_train_kernels.h"
#include <string.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

/// Output columns j whose input column j·s − p + v lies in 0..<w: j in [*lo, *hi).
static inline void valid_columns(const pith_conv_geometry *g, long v, long *lo, long *hi) {
    long a = (g->padding - v + g->stride - 1) / g->stride;
    if (g->padding - v < 0) a = 0;
    long b = g->w + g->padding - v;
    b = b <= 0 ? 0 : (b + g->stride - 1) / g->stride;
    if (b > g->ow) b = g->ow;
    if (a > b) a = b;
    *lo = a; *hi = b;
}

#define IM2COL_BODY                                                                          \
    const long ohw = g->oh * g->ow;                                                          \
    long r = 0;                                                                              \
    for (long ci = 0; ci < g->c; ci++)                                                       \
        for (long u = 0; u < g->kh; u++)                                                     \
            for (long v = 0; v < g->kw; v++, r++) {                                          \
                long lo, hi;                                                                 \
                valid_columns(g, v, &lo, &hi);                                               \
                float *dst = col + r * ohw;                                                  \
                for (long i = 0; i < g->oh; i++) {                                           \
                    float *row = dst + i * g->ow;                                            \
                    long ih = i * g->stride - g->padding + u;                                \
                    if (ih < 0 || ih >= g->h) {                                              \
                        for (long j = 0; j < g->ow; j++) row[j] = 0.0f;                      \
                        continue;                                                            \
                    }                                                                        \
                    const float *src = image + (ci * g->h + ih) * g->w - g->padding + v;     \
                    for (long j = 0; j < lo; j++) row[j] = 0.0f;                             \
                    if (g->stride == 1)                                                      \
                        for (long j = lo; j < hi; j++) row[j] = src[j];                      \
                    else                                                                     \
                        for (long j = lo; j < hi; j++) row[j] = src[j * g->stride];          \
                    for (long j = hi; j < g->ow; j++) row[j] = 0.0f;                         \
                }                                                                            \
            }

#define COL2IM_BODY                                                                          \
    const long ohw = g->oh * g->ow;                                                          \
    long r = 0;                                                                              \
    for (long ci = 0; ci < g->c; ci++)                                                       \
        for (long u = 0; u < g->kh; u++)                                                     \
            for (long v = 0; v < g->kw; v++, r++) {                                          \
                long lo, hi;                                                                 \
                valid_columns(g, v, &lo, &hi);                                               \
                const float *src = col + r * ohw;                                            \
                for (long i = 0; i < g->oh; i++) {                                           \
                    long ih = i * g->stride - g->padding + u;                                \
                    if (ih < 0 || ih >= g->h) continue;                                      \
                    float *dst = image + (ci * g->h + ih) * g->w - g->padding + v;           \
                    const float *row = src + i * g->ow;                                      \
                    if (g->stride == 1)                                                      \
                        for (long j = lo; j < hi; j++) dst[j] += row[j];                     \
                    else                                                                     \
                        for (long j = lo; j < hi; j++) dst[j * g->stride] += row[j];         \
                }                                                                            \
            }

#define ROW_SUMS_BODY                                                                        \
    for (long rr = 0; rr < rows; rr++) {                                                     \
        const float *x_row = x + rr * cols;                                                  \
        float lane[16] = {0};                                                                \
        long j = 0;                                                                          \
        for (; j + 16 <= cols; j += 16)                                                      \
            for (int l = 0; l < 16; l++) lane[l] += x_row[j + l];                            \
        for (int l = 0; j < cols; j++, l++) lane[l] += x_row[j];                             \
        float total = 0.0f;                                                                  \
        for (int l = 0; l < 16; l++) total += lane[l];                                       \
        out[rr] += total;                                                                    \
    }

#define MAXPOOL_BODY                                                                         \
    if (k == 2 && s == 2) {                                                                  \
        /* The common 2x2 window: four candidates, the first maximal one wins. */            \
        for (long p = 0; p < planes; p++) {                                                  \
            const float *plane = x + p * h * w;                                              \
            for (long i = 0; i < oh; i++) {                                                  \
                const float *r0 = plane + 2 * i * w, *r1 = r0 + w;                           \
                long e0 = (p * oh + i) * ow, base = p * h * w + 2 * i * w;                   \
                for (long j = 0; j < ow; j++) {                                              \
                    float best = r0[2 * j]; long at = 2 * j;                                 \
                    if (r0[2 * j + 1] > best) { best = r0[2 * j + 1]; at = 2 * j + 1; }      \
                    if (r1[2 * j] > best) { best = r1[2 * j]; at = w + 2 * j; }              \
                    if (r1[2 * j + 1] > best) { best = r1[2 * j + 1]; at = w + 2 * j + 1; }  \
                    y[e0 + j] = best;                                                        \
                    argmax[e0 + j] = (int)(base + at);                                       \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
        return;                                                                              \
    }                                                                                        \
    for (long p = 0; p < planes; p++) {                                                      \
        const float *plane = x + p * h * w;                                                  \
        for (long i = 0; i < oh; i++)                                                        \
            for (long j = 0; j < ow; j++) {                                                  \
                long at = (i * s) * w + j * s;                                               \
                float best = plane[at];                                                      \
                for (long u = 0; u < k; u++) {                                               \
                    long rowStart = (i * s + u) * w + j * s;                                 \
                    for (long v = 0; v < k; v++)                                             \
                        if (plane[rowStart + v] > best) { best = plane[rowStart + v]; at = rowStart + v; } \
                }                                                                            \
                long e = (p * oh + i) * ow + j;                                              \
                y[e] = best;                                                                 \
                argmax[e] = (int)(p * h * w + at);                                           \
            }                                                                                \
    }

void pith_im2col_generic(const float *restrict image, float *restrict col, const pith_conv_geometry *g) { IM2COL_BODY }
void pith_col2im_generic(const float *restrict col, float *restrict image, const pith_conv_geometry *g) { COL2IM_BODY }
void pith_row_sums_add_generic(const float *restrict x, long rows, long cols, float *restrict out) { ROW_SUMS_BODY }
void pith_maxpool_forward_generic(const float *restrict x, float *restrict y, int *restrict argmax, long planes,
                                  long h, long w, long k, long s, long oh, long ow) { MAXPOOL_BODY }

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
#include <immintrin.h>

/// Lanes [from, to) of a 16-lane block set, others clear (from, to in 0...16).
AVX512 static inline __mmask16 lanes(long from, long to) {
    if (to <= from) return 0;
    return (__mmask16)((((1u << (to - from)) - 1u) << from) & 0xFFFFu);
}

/// Stride 1: each output row is a shifted copy of an input row with zeros outside
/// [lo, hi); one masked load and one store per 16 columns, no calls, no branches per column.
AVX512 void pith_im2col_avx512(const float *restrict image, float *restrict col, const pith_conv_geometry *g) {
    if (g->stride != 1) { IM2COL_BODY return; }
    const long ohw = g->oh * g->ow, ow = g->ow;
    long r = 0;
    for (long ci = 0; ci < g->c; ci++)
        for (long u = 0; u < g->kh; u++)
            for (long v = 0; v < g->kw; v++, r++) {
                long lo, hi;
                valid_columns(g, v, &lo, &hi);
                float *dst = col + r * ohw;
                if (ow <= 16) {
                    /* Narrow outputs (deep layers): one masked load and store per row,
                       masks fixed for the whole (ci, u, v) row. */
                    const __mmask16 load = lanes(lo, hi), store = lanes(0, ow);
                    const float *src = image + (ci * g->h + u - g->padding) * g->w - g->padding + v;
                    for (long i = 0; i < g->oh; i++) {
                        long ih = i - g->padding + u;
                        __mmask16 m = (ih >= 0 && ih < g->h) ? load : 0;
                        _mm512_mask_storeu_ps(dst + i * ow, store, _mm512_maskz_loadu_ps(m, src + i * g->w));
                    }
                    continue;
                }
                for (long i = 0; i < g->oh; i++) {
                    float *row = dst + i * ow;
                    long ih = i - g->padding + u;
                    const int inside = ih >= 0 && ih < g->h;
                    const float *src = image + (ci * g->h + ih) * g->w - g->padding + v;
                    for (long j0 = 0; j0 < ow; j0 += 16) {
                        long end = j0 + 16 < ow ? j0 + 16 : ow;
                        long a = lo > j0 ? lo : j0, b = hi < end ? hi : end;
                        __mmask16 load = inside ? lanes(a - j0, b - j0) : 0;
                        __m512 x = _mm512_maskz_loadu_ps(load, src + j0);
                        _mm512_mask_storeu_ps(row + j0, lanes(0, end - j0), x);
                    }
                }
            }
}

AVX512 void pith_col2im_avx512(const float *restrict col, float *restrict image, const pith_conv_geometry *g) {
    if (g->stride != 1) { COL2IM_BODY return; }
    const long ohw = g->oh * g->ow, ow = g->ow;
    if (g->w <= 16 && ow <= 16) {
        /* Narrow images: each image row lives in one register while every (u, v) that
           reaches it is added, in the reference's order (u, then v), then is stored once. */
        const long p = g->padding;
        const __mmask16 row_mask = lanes(0, g->w);
        for (long ci = 0; ci < g->c; ci++)
            for (long ih = 0; ih < g->h; ih++) {
                float *dst = image + (ci * g->h + ih) * g->w;
                __m512 acc = _mm512_maskz_loadu_ps(row_mask, dst);
                for (long u = 0; u < g->kh; u++) {
                    long i = ih + p - u;
                    if (i < 0 || i >= g->oh) continue;
                    for (long v = 0; v < g->kw; v++) {
                        /* image column x takes col column x + p − v when that lies in 0..<ow. */
                        long shift = p - v;
                        long a = shift < 0 ? -shift : 0, b = ow - shift < g->w ? ow - shift : g->w;
                        const float *src = col + ((ci * g->kh + u) * g->kw + v) * ohw + i * ow + shift;
                        __mmask16 m = lanes(a, b);
                        acc = _mm512_mask_add_ps(acc, m, acc, _mm512_maskz_loadu_ps(m, src));
                    }
                }
                _mm512_mask_storeu_ps(dst, row_mask, acc);
            }
        return;
    }
    long r = 0;
    for (long ci = 0; ci < g->c; ci++)
        for (long u = 0; u < g->kh; u++)
            for (long v = 0; v < g->kw; v++, r++) {
                long lo, hi;
                valid_columns(g, v, &lo, &hi);
                const float *src = col + r * ohw;
                for (long i = 0; i < g->oh; i++) {
                    long ih = i - g->padding + u;
                    if (ih < 0 || ih >= g->h) continue;
                    float *dst = image + (ci * g->h + ih) * g->w - g->padding + v;
                    const float *row = src + i * ow;
                    for (long j0 = lo; j0 < hi; j0 += 16) {
                        __mmask16 m = lanes(0, (hi - j0) < 16 ? hi - j0 : 16);
                        __m512 acc = _mm512_maskz_loadu_ps(m, dst + j0);
                        acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(m, row + j0));
                        _mm512_mask_storeu_ps(dst + j0, m, acc);
                    }
                }
            }
}
AVX512 void pith_row_sums_add_avx512(const float *restrict x, long rows, long cols, float *restrict out) { ROW_SUMS_BODY }
AVX512 void pith_maxpool_forward_avx512(const float *restrict x, float *restrict y, int *restrict argmax, long planes,
                                        long h, long w, long k, long s, long oh, long ow) { MAXPOOL_BODY }
#else
void pith_im2col_avx512(const float *image, float *col, const pith_conv_geometry *g) { pith_im2col_generic(image, col, g); }
void pith_col2im_avx512(const float *col, float *image, const pith_conv_geometry *g) { pith_col2im_generic(col, image, g); }
void pith_row_sums_add_avx512(const float *x, long rows, long cols, float *out) { pith_row_sums_add_generic(x, rows, cols, out); }
void pith_maxpool_forward_avx512(const float *x, float *y, int *argmax, long planes, long h, long w, long k, long s,
                                 long oh, long ow) { pith_maxpool_forward_generic(x, y, argmax, planes, h, w, k, s, oh, ow); }
#endif

void pith_im2col(const float *image, float *col, const pith_conv_geometry *g) {
    if (pith_train_kernels_use_avx512()) pith_im2col_avx512(image, col, g); else pith_im2col_generic(image, col, g);
}
void pith_col2im(const float *col, float *image, const pith_conv_geometry *g) {
    if (pith_train_kernels_use_avx512()) pith_col2im_avx512(col, image, g); else pith_col2im_generic(col, image, g);
}
void pith_row_sums_add(const float *x, long rows, long cols, float *out) {
    if (pith_train_kernels_use_avx512()) pith_row_sums_add_avx512(x, rows, cols, out); else pith_row_sums_add_generic(x, rows, cols, out);
}
void pith_maxpool_forward(const float *x, float *y, int *argmax, long planes, long h, long w, long k, long s, long oh, long ow) {
    if (pith_train_kernels_use_avx512()) pith_maxpool_forward_avx512(x, y, argmax, planes, h, w, k, s, oh, ow);
    else pith_maxpool_forward_generic(x, y, argmax, planes, h, w, k, s, oh, ow);
}
