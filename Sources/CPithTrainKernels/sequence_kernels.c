// Sequence-layer training kernels: one body (sequence_bodies.h), compiled twice
// (portable and AVX-512), chosen at run time. See include/pith_sequence_kernels.h.
#include "pith_sequence_kernels.h"
#include "pith_train_kernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#define INLINE static inline __attribute__((always_inline))

/// Sixteen floats as one value of the compiler's vector extension: element-wise IEEE
/// arithmetic, which each instruction set lowers its own way (one AVX-512 register, four
/// SSE ones) with the same results.
typedef float pith_v16 __attribute__((vector_size(64)));
typedef float pith_v16u __attribute__((vector_size(64), aligned(4)));
#define LOAD16(p) (*(const pith_v16u *)(p))
#define STORE16(p, v) (*(pith_v16u *)(p) = (v))

INLINE uint32_t float_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
INLINE float bits_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/// e^x: x = k·ln2 + r with |r| ≤ ln2/2 (k rounded by the 1.5·2²³ trick, ln2 split in
/// two for Cody–Waite), e^r = 1 + r + r²·P(r) (Cephes' expf polynomial), 2^k from the
/// exponent bits. x is clamped to [−87.3, 88.3] so 2^k stays a normal number; below
/// −87.3 the result is 0 (e^x is then under 1.2·10⁻³⁸).
INLINE float pith_expf(float x) {
    const float in = x;
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.3f ? 88.3f : x;
    float kf = x * 1.44269504088896341f + 12582912.0f;
    uint32_t kb = float_bits(kf);
    kf = kf - 12582912.0f;
    float r = x - kf * 0.693359375f;
    r = r - kf * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    float y = p * bits_float((kb - 0x4B400000u + 127u) << 23);
    return in < -87.3f ? 0.0f : y;
}

INLINE float pith_sigmoidf(float x) {
    float e = pith_expf(-fabsf(x));
    float s = 1.0f / (1.0f + e);
    return x >= 0.0f ? s : e * s;
}

INLINE float pith_tanhf(float x) {
    float e = pith_expf(-2.0f * fabsf(x));
    float t = (1.0f - e) / (1.0f + e);
    return x < 0.0f ? -t : t;
}

/// erfc(|x|/√2) · ... : the standard normal tail 2·(1 − Φ(|x|)) by A&S 7.1.26, given
/// g = e^(−x²/2): t = 1/(1 + p·|x|/√2), tail = t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·g.
INLINE float normal_tail(float x, float g) {
    float t = 1.0f / (1.0f + 0.3275911f * 0.70710678118654752f * fabsf(x));
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    return p * t * g;
}

/// Φ(x), the standard normal distribution: 1 − tail/2 for x ≥ 0, tail/2 below (no
/// cancellation in the lower tail). g = e^(−x²/2).
INLINE float normal_cdf(float x, float g) {
    float half = 0.5f * normal_tail(x, g);
    return x >= 0.0f ? 1.0f - half : half;
}

#define SUFFIX(name) name##_generic
#define TARGET
#include "sequence_bodies.h"
#undef SUFFIX
#undef TARGET

#if defined(__x86_64__)
#define SUFFIX(name) name##_avx512
#define TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
#include "sequence_bodies.h"
#undef SUFFIX
#undef TARGET
#else
// Other architectures: the portable bodies, which the compiler vectorizes for its target.
#define SUFFIX(name) name##_avx512
#define TARGET
#include "sequence_bodies.h"
#undef SUFFIX
#undef TARGET
#endif

#define DISPATCH(name, ...) \
    if (pith_train_kernels_use_avx512()) name##_avx512(__VA_ARGS__); else name##_generic(__VA_ARGS__)

void pith_sigmoid_forward(const float *x, float *y, long n) { DISPATCH(pith_sigmoid_forward, x, y, n); }
void pith_tanh_forward(const float *x, float *y, long n) { DISPATCH(pith_tanh_forward, x, y, n); }
void pith_gelu_forward(const float *x, float *y, long n) { DISPATCH(pith_gelu_forward, x, y, n); }
void pith_gelu_backward(const float *x, const float *gy, float *gx, long n) { DISPATCH(pith_gelu_backward, x, gy, gx, n); }
void pith_lstm_step_forward(float *gates, long gs, const float *bias, const float *c_prev, float *c, float *tanh_c, long ss,
                            float *h, long hs, long rows, long hidden) {
    DISPATCH(pith_lstm_step_forward, gates, gs, bias, c_prev, c, tanh_c, ss, h, hs, rows, hidden);
}
void pith_lstm_step_backward(const float *acts, float *dgates, long gs, const float *c_prev, const float *tanh_c, long ss,
                             const float *dh_out, long dhs, const float *dh_rec, float *dc, long rows, long hidden) {
    DISPATCH(pith_lstm_step_backward, acts, dgates, gs, c_prev, tanh_c, ss, dh_out, dhs, dh_rec, dc, rows, hidden);
}
void pith_layernorm_forward(const float *x, const float *gamma, const float *beta, float *y, float *xhat, float *rstd,
                            long rows, long d, float epsilon) {
    DISPATCH(pith_layernorm_forward, x, gamma, beta, y, xhat, rstd, rows, d, epsilon);
}
void pith_layernorm_backward(const float *gy, const float *xhat, const float *rstd, const float *gamma, float *gx,
                             float *ggamma, float *gbeta, long rows, long d) {
    DISPATCH(pith_layernorm_backward, gy, xhat, rstd, gamma, gx, ggamma, gbeta, rows, d);
}
void pith_attention_forward(const float *qkv, float *out, float *probs, long levels, long first, long last, long heads, long t,
                            long dh, float *scratch) {
    DISPATCH(pith_attention_forward, qkv, out, probs, levels, first, last, heads, t, dh, scratch);
}
void pith_attention_backward(const float *qkv, const float *probs, const float *gout, float *gqkv, long first,
                             long last, long heads, long t, long dh, float *scratch) {
    DISPATCH(pith_attention_backward, qkv, probs, gout, gqkv, first, last, heads, t, dh, scratch);
}
