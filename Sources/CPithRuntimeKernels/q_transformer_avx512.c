// The integer Transformer's element-wise ops on AVX-512, bit for bit the portable bodies of
// q_transformer.c: LayerNorm 8 values a vector (int64 lanes, vpmuldq), and the table lookup
// 64 bytes a vector (vpermi2b, AVX-512 VBMI).
#include "q_attention_internal.h"
#if defined(__x86_64__)
#include <immintrin.h>
#include <math.h>

#define LN512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

/// floor(√v) for 0 ≤ v < 2^53: the double square root (exact input, correctly rounded),
/// then corrected to the integer floor — what pith_q_isqrt's bit-by-bit loop gives.
static inline int64_t isqrt53(int64_t v) {
    int64_t r = (int64_t)sqrt((double)v);
    while (r * r > v) r--;
    while ((r + 1) * (r + 1) <= v) r++;
    return r;
}

LN512 void pith_q_layernorm_avx512(const pith_q_layernorm *p, const uint8_t *x, long rows, uint8_t *y) {
    const int32_t D = p->D;
    for (long r = 0; r < rows; r++) {
        const uint8_t *xr = x + r * D;
        uint8_t *yr = y + r * D;
        // S and Σx²: 32 values a step, squares summed in pairs (vpmaddwd) into int32 lanes
        // (each at most D/32·2·255², within int32 for D ≤ 65,536), then widened.
        __m512i sum = _mm512_setzero_si512(), squares = _mm512_setzero_si512();
        for (int32_t i = 0; i < D; i += 32) {
            const __mmask32 live = D - i >= 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << (D - i)) - 1);
            const __m512i v = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(live, xr + i));
            sum = _mm512_add_epi32(sum, _mm512_madd_epi16(v, _mm512_set1_epi16(1)));
            squares = _mm512_add_epi32(squares, _mm512_madd_epi16(v, v));
        }
        const int64_t S = _mm512_reduce_add_epi32(sum);
        const int64_t Q = _mm512_reduce_add_epi64(_mm512_cvtepu32_epi64(_mm512_castsi512_si256(squares)))
                        + _mm512_reduce_add_epi64(_mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(squares, 1)));
        const int64_t v = (int64_t)D * Q - S * S + p->eps;
        const int64_t den = v <= 0 ? 0 : isqrt53(v);
        // den = 0: inv 0 and n = 2^13 >> 14 = 0, as the reference's n = 0.
        int L = 0;
        int64_t inv = 0;
        if (den > 0) {
            L = 63 - __builtin_clzll((unsigned long long)den);
            inv = (((int64_t)1 << (30 + L)) + den / 2) / den;
        }
        const __m512i vinv = _mm512_set1_epi64(inv), half = _mm512_set1_epi64((int64_t)1 << (L + 13));
        const __m128i sh = _mm_cvtsi32_si128(L + 14), thirtyone = _mm_cvtsi32_si128(31);
        const __m512i vD = _mm512_set1_epi64(D), vS = _mm512_set1_epi64(S), lo = _mm512_setzero_si512(), hi = _mm512_set1_epi64(255);
        for (int32_t i = 0; i < D; i += 8) {
            const __mmask8 live = D - i >= 8 ? (__mmask8)0xFF : (__mmask8)((1u << (D - i)) - 1);
            const __m512i xv = _mm512_cvtepu8_epi64(_mm_maskz_loadu_epi8(live, xr + i));
            const __m512i d = _mm512_sub_epi64(_mm512_mullo_epi64(xv, vD), vS);              // |d| < 2^24
            const __m512i n = _mm512_sra_epi64(_mm512_add_epi64(_mm512_mul_epi32(d, vinv), half), sh); // |n| < 2^25
            const __m512i gain = _mm512_cvtepi32_epi64(_mm256_maskz_loadu_epi32(live, p->gain + i));
            const __m512i acc = _mm512_add_epi64(_mm512_mul_epi32(n, gain), _mm512_maskz_loadu_epi64(live, p->offset + i));
            const __m512i out = _mm512_min_epi64(_mm512_max_epi64(_mm512_sra_epi64(acc, thirtyone), lo), hi);
            _mm_mask_storeu_epi8(yr + i, live, _mm512_cvtepi64_epi8(out));
        }
    }
}

#define VBMI512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi")))

VBMI512 void pith_q_lookup_vbmi(const uint8_t *x, long n, const uint8_t *table, uint8_t *y) {
    const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
    const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
    for (long i = 0; i < n; i += 64) {
        const __mmask64 live = n - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - i)) - 1);
        const __m512i v = _mm512_maskz_loadu_epi8(live, x + i);
        // Bits 0 ... 6 pick within a half of 128 entries, bit 7 the half.
        const __m512i low = _mm512_permutex2var_epi8(t0, v, t1), high = _mm512_permutex2var_epi8(t2, v, t3);
        _mm512_mask_storeu_epi8(y + i, live, _mm512_mask_blend_epi8(_mm512_movepi8_mask(v), low, high));
    }
}
#endif
