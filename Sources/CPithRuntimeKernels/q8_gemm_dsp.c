// ARMv7E-M microkernel of the int8 GEMM (Cortex-M4, M7, M33, M55: the DSP extension,
// what CMSIS-NN's kernels use): two 16-bit multiply-accumulates per SMLAD, exact for the
// full uint8 × int8 range. See q8_gemm_x86.c for the contract; this file is empty where
// the compiler does not target the DSP extension (__ARM_FEATURE_DSP).
//
// Per row, the activations of a chunk of groups of 4 k are widened once: a4 = [a0 a1 a2 a3]
// gives even = UXTB16(a4) = [a0 a2] and odd = UXTB16(a4 ROR 8) = [a1 a3] as 16-bit pairs.
// A packed weight word holds one column's 4 k (pith_q8_pack: byte [p][g][4c + t]), widened
// the same way with SXTB16, so that per column and group
//     s += SMLAD(even, SXTB16(w), SMLAD(odd, SXTB16(w ROR 8), 0)) = a0·w0 + a1·w1 + a2·w2 + a3·w3.
// The products fit 16 × 16 → 32 bits and the sum is the reference's int32 sum (SMLAD wraps
// as int32 addition does; |acc| < 2³¹ for K < 2¹⁶). Four columns at a time: four
// accumulators, the two activation pairs and a weight word stay in registers.
#include "q8_internal.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

/// A packed weight word: pith_q8_pack's data is 64-byte aligned and every word read here
/// starts at a multiple of 4, so it is read as a word (may_alias: the bytes are int8_t).
typedef uint32_t __attribute__((may_alias, aligned(4))) pith_q8_word;

/// Groups of 4 k whose widened activations are kept at a time (2 × 256 bytes of stack).
#define PITH_Q8_DSP_CHUNK 32

void pith_q8_kernel_dsp(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes, int np, int32_t K,
                        const int32_t *init, int32_t *C, long ldc) {
    pith_q8_kernel_dsp_live(A, lda, mr, B, panel_bytes, np, K, init, C, ldc, 16 * np);
}

void pith_q8_kernel_dsp_live(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes, int np, int32_t K,
                             const int32_t *init, int32_t *C, long ldc, int32_t live) {
    const int32_t groups = (K + 3) / 4, quads = (live + 3) / 4;
    uint32_t even[PITH_Q8_DSP_CHUNK], odd[PITH_Q8_DSP_CHUNK];
    for (int r = 0; r < mr; r++) {
        int32_t *row = C + r * ldc;
        for (int32_t g0 = 0; g0 < groups; g0 += PITH_Q8_DSP_CHUNK) {
            const int32_t gn = groups - g0 < PITH_Q8_DSP_CHUNK ? groups - g0 : PITH_Q8_DSP_CHUNK;
            for (int32_t g = 0; g < gn; g++) {
                const uint32_t a4 = (uint32_t)pith_q8_load_a4(A + r * lda, g0 + g, K);
                even[g] = __uxtb16(a4);
                odd[g] = __uxtb16(__ror(a4, 8));
            }
            for (int p = 0; p < np; p++) {
                for (int q = 0; q < 4 && 4 * p + q < quads; q++) {
                    // Columns 16p + 4q ... + 3: from their start, then from the last chunk's sums.
                    const int32_t *from = g0 == 0 ? init + 16 * p + 4 * q : row + 16 * p + 4 * q;
                    int32_t s0 = from[0], s1 = from[1], s2 = from[2], s3 = from[3];
                    const pith_q8_word *w = (const pith_q8_word *)(B + p * panel_bytes + (long)g0 * 64 + 16 * q);
                    for (int32_t g = 0; g < gn; g++, w += 16) {
                        const int16x2_t e = (int16x2_t)even[g], o = (int16x2_t)odd[g];
                        s0 = __smlad(e, __sxtb16(w[0]), __smlad(o, __sxtb16(__ror(w[0], 8)), s0));
                        s1 = __smlad(e, __sxtb16(w[1]), __smlad(o, __sxtb16(__ror(w[1], 8)), s1));
                        s2 = __smlad(e, __sxtb16(w[2]), __smlad(o, __sxtb16(__ror(w[2], 8)), s2));
                        s3 = __smlad(e, __sxtb16(w[3]), __smlad(o, __sxtb16(__ror(w[3], 8)), s3));
                    }
                    int32_t *to = row + 16 * p + 4 * q;
                    to[0] = s0, to[1] = s1, to[2] = s2, to[3] = s3;
                }
            }
        }
    }
}
#endif
