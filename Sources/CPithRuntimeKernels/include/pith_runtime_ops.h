// The runtime's data movement and small ops: patches, transposes, pools, softmax and
// element-wise steps. Plain C; the element-wise steps have AVX-512 twins (the same body
// compiled for the target, bit-identical), the rest move bytes the GEMMs then use.
// Files: layout_ops.c (transposes, im2row, padding), pool_ops.c (pools), runtime_ops.c
// (softmax, quantization, element-wise). PITH_CHANNEL_ORDER: pith_cpu_features.h.
#ifndef PITH_RUNTIME_OPS_H
#define PITH_RUNTIME_OPS_H
#include <stdint.h>

/// dst (cols, rows) = srcᵀ, src (rows, cols): pixel-major GEMM output to NCHW.
void pith_transpose_f32(const float *src, int32_t rows, int32_t cols, float *dst);
void pith_transpose_u8(const uint8_t *src, int32_t rows, int32_t cols, uint8_t *dst);

/// Max / mean over k×k windows every `stride` pixels (no padding): (C, H, W) → (C, OH, OW).
/// The uint8 mean rounds half up: (Σ + n/2) / n (codes are non-negative).
void pith_maxpool_f32(const float *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, float *y);
void pith_maxpool_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, uint8_t *y);
void pith_avgpool_f32(const float *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, float *y);
void pith_avgpool_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, uint8_t *y);

/// Softmax of one row of n values, in place: exp(x − max) / Σ exp(x − max).
void pith_softmax_f32(float *x, int32_t n);


/// Element-wise steps over n values (the whole batch at once).
/// q = clamp(round_half_even(x / scale) + zero, 0, 255) (int8: −128...127). Returns the
/// index of the first NaN or infinity in x, or −1 (q is unspecified where x is not finite).
/// The fast path (AVX-512: a multiply by 1/scale, exact division only next to a tie) gives
/// the reference's bytes.
long pith_quantize_u8(const float *x, long n, float scale, int32_t zero, uint8_t *q);
long pith_quantize_s8(const float *x, long n, float scale, int32_t zero, int8_t *q);
long pith_quantize_u8_reference(const float *x, long n, float scale, int32_t zero, uint8_t *q);
long pith_quantize_s8_reference(const float *x, long n, float scale, int32_t zero, int8_t *q);
/// x = scale · (q − zero).
void pith_dequantize_u8(const uint8_t *q, long n, float scale, int32_t zero, float *x);
void pith_dequantize_s8(const int8_t *q, long n, float scale, int32_t zero, float *x);
void pith_dequantize_s32(const int32_t *q, long n, float scale, int32_t zero, float *x);
/// y = max(x, floor): uint8 ReLU (floor = the zero point); float ReLU keeps NaN.
void pith_relu_u8(const uint8_t *x, long n, uint8_t floor, uint8_t *y);
void pith_relu_f32(const float *x, long n, float *y);
void pith_add_f32(const float *a, const float *b, long n, float *y);
/// Index of the first NaN or infinity, or −1.
long pith_first_nonfinite(const float *x, long n);
/// Whether the element-wise steps use their AVX-512 twins (PITH_KERNELS=generic: never).
int pith_runtime_ops_use_avx512(void);

/// Convolution patches, one row per output pixel, channels-last (NHWC) as the runtime
/// keeps values between convolutions: a patch row
/// is k·k runs of C contiguous values (ky, kx, c order, matching weights reordered to
/// (F, k, k, C) at load), and the GEMM's pixel-major output is already NHWC.
void pith_im2row_nhwc_f32(const float *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t padding,
                          int32_t OH, int32_t OW, float *rows);
/// Outside the image the patch holds 0 (float) or `pad` (uint8: the input's zero point,
/// the code of real 0). uint8 rows are `ldr` ≥ C·k·k bytes apart, zero past C·k·k (the
/// int8 GEMM then reads whole groups of 4).
void pith_im2row_nhwc_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t padding,
                         int32_t OH, int32_t OW, uint8_t pad, uint8_t *rows, int32_t ldr);
/// (H, W, C) → (H + 2p, W + 2p, C) with `value` in the p-pixel border.
void pith_pad_nhwc_u8(const uint8_t *x, int32_t H, int32_t W, int32_t C, int32_t p, uint8_t value, uint8_t *out);
/// Pools on (H, W, C) → (OH, OW, C).
void pith_maxpool_nhwc_f32(const float *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, float *y);
void pith_maxpool_nhwc_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, uint8_t *y);
void pith_avgpool_nhwc_f32(const float *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, float *y);
void pith_avgpool_nhwc_u8(const uint8_t *x, int32_t C, int32_t H, int32_t W, int32_t k, int32_t stride, int32_t OH, int32_t OW, uint8_t *y);

#endif
