// The AVX-512 requantization of 16 int32 accumulators, shared by the stand-alone epilogue
// (q8_requantize.c) and the microkernel entry's own tile epilogue (q8_gemm_x86.c). The
// integer steps are the reference's (pith_q8_multiply_by_quantized_multiplier), for
// multipliers other than INT32_MIN and right shifts only; callers check that first.
#ifndef PITH_Q8_REQUANT_AVX512_H
#define PITH_Q8_REQUANT_AVX512_H
#if defined(__x86_64__)
#include <immintrin.h>
#include <stdint.h>

#define PITH_RQ512 __attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) static inline

/// Constants of 16 output channels.
typedef struct {
    __m512i mult, mult_odd;  // the multiplier; its odd lanes moved to the low halves
    __m512i e, mask, half;   // right shift e = min(−shift, 31), 2^e − 1, (2^e − 1) / 2
} pith_rq16;

/// Channels live..., mult/shift read under `live` (lanes past it: multiplier 0, shift 0).
PITH_RQ512 pith_rq16 pith_rq16_prepare(const int32_t *mult, const int32_t *shift, __mmask16 live) {
    const __m512i one = _mm512_set1_epi32(1);
    pith_rq16 c;
    c.mult = _mm512_maskz_loadu_epi32(live, mult);
    c.mult_odd = _mm512_srli_epi64(c.mult, 32);
    c.e = _mm512_min_epi32(_mm512_sub_epi32(_mm512_setzero_si512(), _mm512_maskz_loadu_epi32(live, shift)), _mm512_set1_epi32(31));
    c.mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, c.e), one);
    c.half = _mm512_srli_epi32(c.mask, 1);
    return c;
}

/// 16 accumulators → clamp(zero + MBQM(x), lo, hi) as int32 lanes.
/// High multiply: gemmlowp's (x·m + nudge) / 2³¹ toward zero, nudge = 2³⁰ or 1 − 2³⁰ by the
/// sign of x·m, equals ⌊(x·m + 2³⁰) / 2³¹⌋ for either sign (one add and one arithmetic shift
/// of the 64-bit product). Then the rounding divide by 2^e: (t >> e) + 1 where the
/// remainder t & (2^e − 1) exceeds half of it (+1 for negative t): half away from zero.
PITH_RQ512 __m512i pith_rq16_apply(__m512i x, const pith_rq16 *c, __m512i zero, __m512i lo, __m512i hi) {
    const __m512i bias = _mm512_set1_epi64(1ll << 30), one = _mm512_set1_epi32(1);
    __m512i even = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, c->mult), bias), 31);
    __m512i odd = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), c->mult_odd), bias), 31);
    __m512i t = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    __m512i threshold = _mm512_mask_add_epi32(c->half, _mm512_cmplt_epi32_mask(t, _mm512_setzero_si512()), c->half, one);
    __m512i r = _mm512_srav_epi32(t, c->e);
    r = _mm512_mask_add_epi32(r, _mm512_cmpgt_epi32_mask(_mm512_and_si512(t, c->mask), threshold), r, one);
    return _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(r, zero), lo), hi);
}

#endif
#endif
