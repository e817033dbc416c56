// int8 GEMM: fixed-point requantization (gemmlowp/TFLite), the scalar reference and its
// AVX-512 twin (bit-identical); the ARMv7E-M twin is q8_requantize_dsp.c. See include/pith_q8_gemm.h for the math.
#include "q8_internal.h"
#include "include/pith_cpu_features.h"
#include <math.h>

// gemmlowp: (a·b·2 + 2³¹ rounding) >> 32, saturating the one overflow (a = b = INT32_MIN).
static int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
    return (int32_t)((ab + nudge) / (1ll << 31));
}

// gemmlowp: x / 2^exponent rounded half away from zero.
static int32_t rounding_divide_by_pot(int32_t x, int32_t exponent) {
    int32_t mask = (int32_t)((1ll << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t pith_q8_multiply_by_quantized_multiplier(int32_t x, int32_t mult, int32_t shift) {
    int32_t left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    int64_t shifted = (int64_t)x * ((int64_t)1 << left);
    int32_t xs = shifted > INT32_MAX ? INT32_MAX : shifted < INT32_MIN ? INT32_MIN : (int32_t)shifted;
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(xs, mult), right > 31 ? 31 : right);
}

void pith_q8_quantize_multiplier(double m, int32_t *mult, int32_t *shift) {
    if (m <= 0) { *mult = 0; *shift = 0; return; }
    int exponent;
    double q = frexp(m, &exponent);  // m = q · 2^exponent, q in [0.5, 1)
    int64_t q31 = (int64_t)llround(q * (double)(1ll << 31));
    if (q31 == (1ll << 31)) { q31 /= 2; exponent++; }
    if (exponent < -31) { q31 = 0; exponent = 0; }
    *mult = (int32_t)q31;
    *shift = exponent;
}

void pith_q8_requantize_reference(const int32_t *acc, int32_t N, const pith_q8_output *o, uint8_t *out) {
    for (int32_t n = 0; n < N; n++) {
        int32_t v = o->out_zero + pith_q8_multiply_by_quantized_multiplier(acc[n], o->mult[n], o->shift[n]);
        v = v < o->out_min ? o->out_min : v > o->out_max ? o->out_max : v;
        out[n] = (uint8_t)v;
    }
}

#if defined(__x86_64__)
#include "q8_requant_avx512.h"
#define AVX512REQ __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

/// Whether the vector epilogue takes these 16 channels: right shifts only and no
/// INT32_MIN multiplier (the reference's saturating case); else the reference does.
AVX512REQ static int requant_vector_ok(const int32_t *mult, const int32_t *shift, __mmask16 live) {
    __m512i m = _mm512_maskz_loadu_epi32(live, mult), sh = _mm512_maskz_loadu_epi32(live, shift);
    return !_mm512_cmpgt_epi32_mask(sh, _mm512_setzero_si512()) && !_mm512_cmpeq_epi32_mask(m, _mm512_set1_epi32(INT32_MIN));
}

AVX512REQ static void requantize_rows_avx512(const int32_t *acc, int32_t rows, int32_t N, long ldacc, const pith_q8_output *o,
                                             uint8_t *out, long ldo) {
    const __m512i zp = _mm512_set1_epi32(o->out_zero), lo = _mm512_set1_epi32(o->out_min), hi = _mm512_set1_epi32(o->out_max);
    if (N <= 8 && rows > 1) {
        // Few channels (a first convolution): two rows per register, 8 lanes each.
        __mmask8 live8 = (__mmask8)((1u << N) - 1);
        if (requant_vector_ok(o->mult, o->shift, live8)) {
            // Both halves of the register get the same N channels' constants.
            int32_t mult2[16] = {0}, shift2[16] = {0};
            for (int32_t c = 0; c < N; c++) { mult2[c] = mult2[8 + c] = o->mult[c]; shift2[c] = shift2[8 + c] = o->shift[c]; }
            pith_rq16 b = pith_rq16_prepare(mult2, shift2, 0xFFFF);
            int32_t r = 0;
            for (; r + 2 <= rows; r += 2) {
                __m256i a = _mm256_maskz_loadu_epi32(live8, acc + r * ldacc), c = _mm256_maskz_loadu_epi32(live8, acc + (r + 1) * ldacc);
                __m512i x = _mm512_inserti32x8(_mm512_castsi256_si512(a), c, 1);
                __m128i codes = _mm512_cvtusepi32_epi8(pith_rq16_apply(x, &b, zp, lo, hi));
                _mm_mask_storeu_epi8(out + r * ldo, (__mmask16)live8, codes);
                _mm_mask_storeu_epi8(out + (r + 1) * ldo - 8, (__mmask16)((uint32_t)live8 << 8), codes);
            }
            if (r < rows) requantize_rows_avx512(acc + r * ldacc, 1, N, ldacc, o, out + r * ldo, ldo);
            return;
        }
    }
    for (int32_t n = 0; n < N; n += 16) {
        // The last block may be partial: masked loads and stores, the same arithmetic.
        __mmask16 live = N - n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (N - n)) - 1);
        if (!requant_vector_ok(o->mult + n, o->shift + n, live)) {
            pith_q8_output block = *o;
            block.mult = o->mult + n;
            block.shift = o->shift + n;
            for (int32_t r = 0; r < rows; r++)
                pith_q8_requantize_reference(acc + r * ldacc + n, N - n < 16 ? N - n : 16, &block, out + r * ldo + n);
            continue;
        }
        pith_rq16 b = pith_rq16_prepare(o->mult + n, o->shift + n, live);
        for (int32_t row = 0; row < rows; row++) {
            __m512i x = _mm512_maskz_loadu_epi32(live, acc + row * ldacc + n);
            // Narrow in a register, then store: the memory form of vpmovusdb is slow on Zen.
            __m128i codes = _mm512_cvtusepi32_epi8(pith_rq16_apply(x, &b, zp, lo, hi));
            if (live == 0xFFFF) _mm_storeu_si128((__m128i *)(out + row * ldo + n), codes);
            else _mm_mask_storeu_epi8(out + row * ldo + n, live, codes);
        }
    }
}
#endif

int pith_q8_requant_vector_all(const pith_q8_output *o, int32_t N) {
#if defined(__x86_64__)
    if (!pith_q8_requantize_uses_avx512()) return 0;
    for (int32_t n = 0; n < N; n += 16) {
        __mmask16 live = N - n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (N - n)) - 1);
        if (!requant_vector_ok(o->mult + n, o->shift + n, live)) return 0;
    }
    return 1;
#else
    (void)o; (void)N;
    return 0;
#endif
}

int pith_q8_requantize_uses_avx512(void) {
    // The same decision as every AVX-512 kernel (F, VL, BW, DQ; PITH_KERNELS=generic).
    return pith_kernels_use_avx512();
}

void pith_q8_requantize_rows(const int32_t *acc, int32_t rows, int32_t N, long ldacc, const pith_q8_output *o,
                             uint8_t *out, long ldo) {
#if defined(__x86_64__)
    if (pith_q8_requantize_uses_avx512()) { requantize_rows_avx512(acc, rows, N, ldacc, o, out, ldo); return; }
#endif
#if defined(__ARM_FEATURE_DSP)
    if (pith_kernels_use_dsp()) { pith_q8_requantize_rows_dsp(acc, rows, N, ldacc, o, out, ldo); return; }
#endif
    for (int32_t r = 0; r < rows; r++) pith_q8_requantize_reference(acc + r * ldacc, N, o, out + r * ldo);
}

void pith_q8_requantize(const int32_t *acc, int32_t N, const pith_q8_output *o, uint8_t *out) {
    pith_q8_requantize_rows(acc, 1, N, N, o, out, N);
}
