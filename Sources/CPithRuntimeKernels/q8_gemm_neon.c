// arm64 microkernel of the int8 GEMM (NEON): bytes widened to int16 and multiplied into
// int32 with vmlal, exact for the full uint8 × int8 range. See q8_gemm_x86.c for the
// contract; this file is empty elsewhere.
#include "q8_internal.h"

#if defined(__aarch64__)
#include <arm_neon.h>

void pith_q8_kernel_neon(const uint8_t *A, long lda, int mr, const int8_t *B, long pb, int np,
                         int32_t K, const int32_t *init, int32_t *C, long ldc) {
    const int32_t groups = (K + 3) / 4;
    for (int r = 0; r < mr; r++) {
        for (int p = 0; p < np; p++) {
            const int8_t *b = B + p * pb;
            // acc[q]: columns 4q..4q+3, lanes = one column each after the pairwise adds.
            int32x4_t acc[4];
            for (int q = 0; q < 4; q++) acc[q] = vld1q_s32(init + 16 * p + 4 * q);
            for (int32_t g = 0; g < groups; g++) {
                int32_t a4 = pith_q8_load_a4(A + r * lda, g, K);
                // [a0 a1 a2 a3] × 2 as int16
                int16x8_t a = vreinterpretq_s16_u16(vmovl_u8(vreinterpret_u8_s32(vdup_n_s32(a4))));
                for (int q = 0; q < 4; q++) {
                    int8x16_t w = vld1q_s8(b + g * 64 + 16 * q);          // 4 columns × 4 k
                    int16x8_t w01 = vmovl_s8(vget_low_s8(w)), w23 = vmovl_s8(vget_high_s8(w));
                    // Per column: the dot product of its 4 k with a0..a3.
                    int32x4_t c0 = vmull_s16(vget_low_s16(w01), vget_low_s16(a));
                    int32x4_t c1 = vmull_s16(vget_high_s16(w01), vget_low_s16(a));
                    int32x4_t c2 = vmull_s16(vget_low_s16(w23), vget_low_s16(a));
                    int32x4_t c3 = vmull_s16(vget_high_s16(w23), vget_low_s16(a));
                    int32x4_t s01 = vpaddq_s32(c0, c1), s23 = vpaddq_s32(c2, c3);
                    acc[q] = vaddq_s32(acc[q], vpaddq_s32(s01, s23));
                }
            }
            for (int q = 0; q < 4; q++) vst1q_s32(C + r * ldc + 16 * p + 4 * q, acc[q]);
        }
    }
}
#endif
