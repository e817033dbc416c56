// The runtime's data movement: transposes between pixel-major and channel-major, convolution
// patches (im2row) and padding, channels-last (NHWC) as the runtime keeps values between
// convolutions. Plain C: these move the bytes the GEMMs then read. See
// include/pith_runtime_ops.h.
#include "include/pith_runtime_ops.h"
#include <stddef.h>

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
