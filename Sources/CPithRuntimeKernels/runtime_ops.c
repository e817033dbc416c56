// The runtime's small numeric steps: softmax, quantization with its input check, and the
// element-wise steps; the hot ones have AVX-512 twins (the same results, chosen at run time
// through pith_cpu_features.h), the input quantization a Cortex-M4/M7 FPU twin. See include/pith_runtime_ops.h.
#include "include/pith_runtime_ops.h"
#include "include/pith_cpu_features.h"
#include <math.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#endif

#pragma clang fp contract(off)

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

int pith_runtime_ops_use_avx512(void) { return pith_kernels_use_avx512(); }

/// The fast path needs 1/scale finite and normal; anything else takes the reference.
__attribute__((unused)) static int reciprocal_ok(float scale) {
    float inv = 1.0f / scale;
    return scale > 0 && isnormal(scale) && isnormal(inv);
}

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FP) && (__ARM_FP & 4)
/// The Cortex-M4/M7 twin of the reference: the same division, and round half to even by the
/// FPU's VCVTR (FPSCR's rounding mode, round to nearest even, which nothing here changes)
/// instead of nearbyintf's library call. VCVTR is exact for quotients within ±2³¹ and
/// saturates beyond (as the clamp after would); the zero point is added saturating (QADD)
/// and the clamp to 0...255 is USAT. The finiteness test is on the bits. The same bytes
/// wherever x is finite.
static long quantize_u8_fpu(const float *x, long n, float scale, int32_t zero, uint8_t *q) {
    long bad = -1;
    for (long i = 0; i < n; i++) {
        uint32_t bits;
        __builtin_memcpy(&bits, x + i, 4);
        if ((bits & 0x7f800000u) == 0x7f800000u && bad < 0) bad = i;
        float t = x[i] / scale, r;
        __asm__("vcvtr.s32.f32 %0, %1" : "=t"(r) : "t"(t));
        int32_t v;
        __builtin_memcpy(&v, &r, 4);
        q[i] = (uint8_t)__usat(__qadd(v, zero), 8);
    }
    return bad;
}
#endif

long pith_quantize_u8(const float *x, long n, float scale, int32_t zero, uint8_t *q) {
#if defined(__x86_64__)
    if (pith_runtime_ops_use_avx512() && reciprocal_ok(scale) && zero >= 0 && zero <= 255) return quantize_avx512(x, n, scale, zero, q, 0);
#endif
#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FP) && (__ARM_FP & 4)
    if (pith_kernels_use_dsp()) return quantize_u8_fpu(x, n, scale, zero, q);
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
