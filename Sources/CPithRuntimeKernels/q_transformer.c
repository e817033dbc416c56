// The integer Transformer's ops (include/pith_q_transformer.h has the math). Each op is one
// portable body (the reference). On x86-64 the bodies are inlined again into AVX2 twins
// and the add's and attention's into AVX-512 twins, which the compiler vectorizes (the
// attention twin serves CPUs without VNNI); attention (VNNI), LayerNorm and the lookup
// (VBMI) have AVX-512 kernels of their own (q_attention_avx512.c, q_transformer_avx512.c).
// All compute the same integers.
#include "q_attention_internal.h"
#include "include/pith_cpu_features.h"

#define BODY static inline __attribute__((always_inline))
#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
#define AVX2 __attribute__((target("avx2")))
#endif

pith_q_ratio pith_q_ratio_make(double r) {
    pith_q_ratio q = {0, 1};
    if (!(r > 0 && r < 1048576.0)) return q;
    int e;
    (void)__builtin_frexp(r, &e);
    int shift = 30 - e;
    if (shift > 62) shift = 62;
    long long m = __builtin_llround(__builtin_ldexp(r, shift));
    if (m >= (1ll << 30)) { m = 1ll << 29; shift -= 1; }
    q.mult = m;
    q.shift = shift;
    return q;
}

BODY int64_t ratio_apply(int64_t x, int64_t mult, int32_t shift) {
    return (x * mult + ((int64_t)1 << (shift - 1))) >> shift;
}

int64_t pith_q_ratio_apply(int64_t x, pith_q_ratio r) { return ratio_apply(x, r.mult, r.shift); }

int64_t pith_q_isqrt(int64_t v) {
    if (v <= 0) return 0;
    uint64_t x = (uint64_t)v, r = 0, bit = 1ull << 62;
    while (bit > x) bit >>= 2;
    while (bit) {
        if (x >= r + bit) { x -= r + bit; r = (r >> 1) + bit; } else r >>= 1;
        bit >>= 2;
    }
    return (int64_t)r;
}

BODY uint8_t clamp_u8(int64_t v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

// LayerNorm.
BODY void layernorm_body(const pith_q_layernorm *p, const uint8_t *x, long rows, uint8_t *y) {
    const int64_t D = p->D;
    for (long r = 0; r < rows; r++) {
        const uint8_t *xr = x + r * D;
        uint8_t *yr = y + r * D;
        int64_t S = 0, Q = 0;
        for (int64_t i = 0; i < D; i++) { S += xr[i]; Q += (int64_t)xr[i] * xr[i]; }
        int64_t den = pith_q_isqrt(D * Q - S * S + p->eps);
        if (den == 0) {
            for (int64_t i = 0; i < D; i++) yr[i] = clamp_u8(p->offset[i] >> 31);
            continue;
        }
        int L = 63 - __builtin_clzll((unsigned long long)den);
        int64_t inv = (((int64_t)1 << (30 + L)) + den / 2) / den, half = (int64_t)1 << (L + 13);
        int sh = L + 14;
        for (int64_t i = 0; i < D; i++) {
            int64_t n = ((D * xr[i] - S) * inv + half) >> sh;
            yr[i] = clamp_u8((n * p->gain[i] + p->offset[i]) >> 31);
        }
    }
}

void pith_q_layernorm_u8_reference(const pith_q_layernorm *p, const uint8_t *x, long rows, uint8_t *y) { layernorm_body(p, x, rows, y); }
#if defined(__x86_64__)
AVX2 static void layernorm_avx2(const pith_q_layernorm *p, const uint8_t *x, long rows, uint8_t *y) { layernorm_body(p, x, rows, y); }
#endif

void pith_q_layernorm_u8_avx2(const pith_q_layernorm *p, const uint8_t *x, long rows, uint8_t *y) {
#if defined(__x86_64__)
    if (pith_cpu_has_avx2()) { layernorm_avx2(p, x, rows, y); return; }
#endif
    layernorm_body(p, x, rows, y);
}

void pith_q_layernorm_u8(const pith_q_layernorm *p, const uint8_t *x, long rows, uint8_t *y) {
#if defined(__x86_64__)
    if (pith_kernels_use_avx512()) { pith_q_layernorm_avx512(p, x, rows, y); return; }
    if (pith_kernels_use_avx2()) { layernorm_avx2(p, x, rows, y); return; }
#endif
    layernorm_body(p, x, rows, y);
}

/// (a·b + 2^14) >> 15: vpmulhrsw's product of two Q15 values.
BODY int32_t mul_q15(int32_t a, int32_t b) { return (a * b + (1 << 14)) >> 15; }

/// exp(−w/1024) in Q15 for w in 0 ... 16383 (Q10), from the three tables.
BODY int32_t exp_q15(int32_t w) {
    return mul_q15(mul_q15(pith_q_exp_high[w >> 10], pith_q_exp_mid[(w >> 5) & 31]), pith_q_exp_low[w & 31]);
}

// Attention. Scratch (int32): k centered and transposed (D, T), v centered (T, D), the
// scores of one query (T), their exps then probabilities (T), one head's context (D).
size_t pith_q_attention_scratch_bytes(int32_t T, int32_t D, int32_t heads) {
    size_t body = 4 * (2 * (size_t)T * (size_t)D + 2 * (size_t)T + (size_t)D) + 64;
    size_t fast = pith_q_attention_layout(T, D, heads).bytes;
    return body > fast ? body : fast;
}

BODY void attention_body(const pith_q_attention *p, const uint8_t *q, const uint8_t *k, const uint8_t *v, long batch,
                         uint8_t *y, void *scratch) {
    const int32_t T = p->T, D = p->D, dh = p->D / p->heads;
    const int32_t zq = p->q_zero, zk = p->k_zero, zv = p->v_zero, zo = p->out_zero;
    int32_t *kt = (int32_t *)scratch, *vc = kt + (long)D * T, *s = vc + (long)T * D, *e = s + T, *ctx = e + T;
    for (long b = 0; b < batch; b++) {
        const long base = b * (long)T * D;
        for (int32_t j = 0; j < T; j++) {
            for (int32_t c = 0; c < D; c++) {
                kt[(long)c * T + j] = (int32_t)k[base + (long)j * D + c] - zk;
                vc[(long)j * D + c] = (int32_t)v[base + (long)j * D + c] - zv;
            }
        }
        for (int32_t h = 0; h < p->heads; h++) {
            const int32_t c0 = h * dh;
            for (int32_t i = 0; i < T; i++) {
                const uint8_t *qi = q + base + (long)i * D + c0;
                for (int32_t j = 0; j < T; j++) s[j] = 0;
                for (int32_t c = 0; c < dh; c++) {
                    const int32_t qv = (int32_t)qi[c] - zq;
                    const int32_t *kc = kt + (long)(c0 + c) * T;
                    for (int32_t j = 0; j < T; j++) s[j] += qv * kc[j];
                }
                int32_t m = s[0];
                for (int32_t j = 1; j < T; j++) m = s[j] > m ? s[j] : m;
                int64_t sum = 0;
                for (int32_t j = 0; j < T; j++) {
                    int64_t z = -ratio_apply((int64_t)(s[j] - m), p->score.mult, p->score.shift);
                    int32_t w = (int32_t)(z > 16383 ? 16383 : z);
                    e[j] = exp_q15(w);
                    sum += e[j];
                }
                const int64_t r = ((int64_t)255 << 38) / sum;
                for (int32_t j = 0; j < T; j++) e[j] = (int32_t)(((int64_t)e[j] * r + ((int64_t)1 << 37)) >> 38);
                for (int32_t c = 0; c < dh; c++) ctx[c] = 0;
                for (int32_t j = 0; j < T; j++) {
                    const int32_t pj = e[j];
                    const int32_t *vj = vc + (long)j * D + c0;
                    for (int32_t c = 0; c < dh; c++) ctx[c] += pj * vj[c];
                }
                uint8_t *yi = y + base + (long)i * D + c0;
                for (int32_t c = 0; c < dh; c++) yi[c] = clamp_u8(zo + ratio_apply(ctx[c], p->out.mult, p->out.shift));
            }
        }
    }
}

void pith_q_attention_u8_reference(const pith_q_attention *p, const uint8_t *q, const uint8_t *k, const uint8_t *v, long batch,
                                   uint8_t *y, void *scratch) {
    attention_body(p, q, k, v, batch, y, scratch);
}
#if defined(__x86_64__)
AVX512 static void attention_avx512(const pith_q_attention *p, const uint8_t *q, const uint8_t *k, const uint8_t *v, long batch,
                                    uint8_t *y, void *scratch) {
    attention_body(p, q, k, v, batch, y, scratch);
}
AVX2 static void attention_avx2(const pith_q_attention *p, const uint8_t *q, const uint8_t *k, const uint8_t *v, long batch,
                                uint8_t *y, void *scratch) {
    attention_body(p, q, k, v, batch, y, scratch);
}
#endif

void pith_q_attention_u8_avx2(const pith_q_attention *p, const uint8_t *q, const uint8_t *k, const uint8_t *v, long batch,
                              uint8_t *y, void *scratch) {
#if defined(__x86_64__)
    if (pith_cpu_has_avx2()) { attention_avx2(p, q, k, v, batch, y, scratch); return; }
#endif
    attention_body(p, q, k, v, batch, y, scratch);
}

void pith_q_attention_u8(const pith_q_attention *p, const uint8_t *q, const uint8_t *k, const uint8_t *v, long batch,
                         uint8_t *y, void *scratch) {
#if defined(__x86_64__)
    if (pith_kernels_use_avx512() && pith_cpu_has_avx512vnni()) { pith_q_attention_avx512(p, q, k, v, batch, y, scratch); return; }
    if (pith_kernels_use_avx512()) { attention_avx512(p, q, k, v, batch, y, scratch); return; }
    if (pith_kernels_use_avx2()) { attention_avx2(p, q, k, v, batch, y, scratch); return; }
#endif
    attention_body(p, q, k, v, batch, y, scratch);
}

// The residual add.
BODY void add_body(const pith_q_add *p, const uint8_t *a, const uint8_t *b, long n, uint8_t *y) {
    const int64_t half = (int64_t)1 << (p->shift - 1);
    for (long i = 0; i < n; i++) {
        int64_t acc = p->a_mult * ((int32_t)a[i] - p->a_zero) + p->b_mult * ((int32_t)b[i] - p->b_zero);
        y[i] = clamp_u8(p->out_zero + ((acc + half) >> p->shift));
    }
}

void pith_q_add_u8_reference(const pith_q_add *p, const uint8_t *a, const uint8_t *b, long n, uint8_t *y) { add_body(p, a, b, n, y); }
#if defined(__x86_64__)
AVX512 static void add_avx512(const pith_q_add *p, const uint8_t *a, const uint8_t *b, long n, uint8_t *y) { add_body(p, a, b, n, y); }
AVX2 static void add_avx2(const pith_q_add *p, const uint8_t *a, const uint8_t *b, long n, uint8_t *y) { add_body(p, a, b, n, y); }
#endif

void pith_q_add_u8_avx2(const pith_q_add *p, const uint8_t *a, const uint8_t *b, long n, uint8_t *y) {
#if defined(__x86_64__)
    if (pith_cpu_has_avx2()) { add_avx2(p, a, b, n, y); return; }
#endif
    add_body(p, a, b, n, y);
}

void pith_q_add_u8(const pith_q_add *p, const uint8_t *a, const uint8_t *b, long n, uint8_t *y) {
#if defined(__x86_64__)
    if (pith_kernels_use_avx512()) { add_avx512(p, a, b, n, y); return; }
    if (pith_kernels_use_avx2()) { add_avx2(p, a, b, n, y); return; }
#endif
    add_body(p, a, b, n, y);
}

void pith_q_mean_tokens_u8(const uint8_t *x, long batch, int32_t T, int32_t D, int32_t x_zero, pith_q_ratio ratio,
                           int32_t out_zero, uint8_t *y) {
    for (long b = 0; b < batch; b++) {
        const uint8_t *xb = x + b * (long)T * D;
        for (int32_t c = 0; c < D; c++) {
            int64_t acc = -(int64_t)T * x_zero;
            for (int32_t t = 0; t < T; t++) acc += xb[(long)t * D + c];
            y[b * D + c] = clamp_u8(out_zero + ratio_apply(acc, ratio.mult, ratio.shift));
        }
    }
}

void pith_q_lookup_u8_reference(const uint8_t *x, long n, const uint8_t *table, uint8_t *y) {
    for (long i = 0; i < n; i++) y[i] = table[x[i]];
}

void pith_q_lookup_u8(const uint8_t *x, long n, const uint8_t *table, uint8_t *y) {
#if defined(__x86_64__)
    if (pith_kernels_use_avx512() && pith_cpu_has_avx512vbmi()) { pith_q_lookup_vbmi(x, n, table, y); return; }
#endif
    pith_q_lookup_u8_reference(x, n, table, y);
}

void pith_q_add_rows_s32(int32_t *acc, const int32_t *bias, long count) {
    for (long i = 0; i < count; i++) acc[i] += bias[i];
}
