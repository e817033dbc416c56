// The integer Transformer's ops (docs/quantization.md, "Integer Transformer"): LayerNorm,
// multi-head self-attention, the residual add, the mean over tokens, table lookups and the
// per-token bias of a Dense layer. uint8 values in, uint8 values out, integer arithmetic
// only (int32, int64 where a product needs it), so that every target gives the same bytes
// and the toolchain's Swift simulation (PithQuant's IntegerSimulation) can be held to it bit
// for bit. Each op has one portable body (the `_reference` entries); on x86-64 faster
// kernels give the same integers and are chosen at run time (PITH_KERNELS=generic: the
// portable ones): attention on AVX-512 VNNI (vpdpwssd on int16 pairs), LayerNorm on
// AVX-512, the lookup on AVX-512 VBMI, the add an AVX-512 compile of its body, and AVX2
// compiles of the bodies on CPUs without AVX-512.
//
// Fixed-point ratios. A real multiplier r > 0 is (mult, shift) with mult = round(r·2^shift)
// in [2^29, 2^30) (0 ≤ shift ≤ 62; mult may be smaller where r is tiny), applied to an
// integer x as  apply(x) = (x·mult + 2^(shift−1)) >> shift  (int64, round half up; shift 0:
// x·mult). pith_q_ratio_make builds one as the toolchain's simulation does.
#ifndef PITH_Q_TRANSFORMER_H
#define PITH_Q_TRANSFORMER_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t mult;
    int32_t shift;
} pith_q_ratio;

/// (mult, shift) for 0 < r < 2^20, shift = min(30 − e, 62) where r = m·2^e, m in [0.5, 1)
/// (so shift ≥ 10); mult = round(r·2^shift) half away from zero, and where that reaches
/// 2^30, (2^29, shift − 1). Any other r: (0, 1), a ratio that gives 0.
pith_q_ratio pith_q_ratio_make(double r);
/// (x·mult + 2^(shift−1)) >> shift (arithmetic: round half up), for |x·mult| < 2^62.
int64_t pith_q_ratio_apply(int64_t x, pith_q_ratio r);

/// floor(√v) for v < 2^62, bit by bit.
int64_t pith_q_isqrt(int64_t v);

/// LayerNorm over each row of D codes x (zero point irrelevant: it cancels). Per row:
///     S = Σ x_i,  V = D·Σ x_i² − S²  (= D²·σ² in codes²),  den = ⌊√(V + eps)⌋
///     n_i = round(2^16·(D·x_i − S)/den)   (Q16; through one reciprocal per row:
///            L = ⌊log₂ den⌋, inv = ⌊(2^(30+L) + ⌊den/2⌋)/den⌋, n_i = (d·inv + 2^(L+13)) >> (L+14))
///     y_i = clamp((n_i·gain[i] + offset[i]) >> 31, 0, 255)
/// with eps = round(ε·D²/s_x²) (≤ 2^50), gain[i] = round(γ_i/s_y·2^15), offset[i] =
/// round((β_i/s_y + z_y)·2^31) + 2^30 (the output's zero point and the rounding folded in).
/// den = 0 (a constant row and eps 0): n = 0. D ≤ 65,536, |gain| < 2^31, |offset| < 2^52.
typedef struct {
    int32_t D;
    int64_t eps;
    const int32_t *gain;
    const int64_t *offset;
} pith_q_layernorm;
void pith_q_layernorm_u8(const pith_q_layernorm *p, const uint8_t *x, long rows, uint8_t *y);
void pith_q_layernorm_u8_reference(const pith_q_layernorm *p, const uint8_t *x, long rows, uint8_t *y);

/// Self-attention over one sample's q, k, v (T, D) uint8 (zero points zq, zk, zv), heads of
/// d_h = D/heads columns. For head h and query i, over keys j (columns c of the head):
///     S_j = Σ_c (q_ic − zq)(k_jc − zk)                              int32
///     w_j = min(−apply(S_j − max_j S_j, score), 16383)               Q10 (score: s_q·s_k/√d_h·2^10)
///     e_j = R(R(A[w >> 10], B[(w >> 5) & 31]), C[w & 31])            exp(−w/1024) in Q15
///           R(a, b) = (a·b + 2^14) >> 15 (vpmulhrsw's rounding); A, B, C the tables
///           32767·exp(−a), 32767·exp(−b/32), 32767·exp(−c/1024) (q_exp_table.c)
///     p_j = (e_j·r + 2^37) >> 38,  r = ⌊255·2^38 / Σ_j e_j⌋          probabilities, units 1/255
///     y_ic = clamp(z_o + apply(Σ_j p_j·(v_jc − zv), out), 0, 255)      (out: s_v/(255·s_o))
/// T ≤ 32,767, d_h ≤ 16,384.
typedef struct {
    int32_t T, D, heads;
    int32_t q_zero, k_zero, v_zero;
    pith_q_ratio score, out;
    int32_t out_zero;
} pith_q_attention;
/// Scratch bytes one call needs (any batch), for every path.
size_t pith_q_attention_scratch_bytes(int32_t T, int32_t D, int32_t heads);
/// `batch` samples, each (T, D) in q, k, v and y.
void pith_q_attention_u8(const pith_q_attention *p, const uint8_t *q, const uint8_t *k, const uint8_t *v, long batch,
                         uint8_t *y, void *scratch);
/// The portable body alone (the reference the fast paths are held to).
void pith_q_attention_u8_reference(const pith_q_attention *p, const uint8_t *q, const uint8_t *k, const uint8_t *v,
                                   long batch, uint8_t *y, void *scratch);
/// The exp tables in Q15, rounded half away from zero (q_exp_table.c, written by
/// tools/gen-lstm-tables): high[a] = 32767·e^−a (a < 16; 16 more zeros), mid[b] =
/// 32767·e^(−b/32), low[c] = 32767·e^(−c/1024).
extern const int16_t pith_q_exp_high[32], pith_q_exp_mid[32], pith_q_exp_low[32];

/// The residual add of two uint8 values into a third encoding:
///     y_i = clamp(z_y + ((a_mult·(a_i − za) + b_mult·(b_i − zb) + 2^(shift−1)) >> shift), 0, 255)
/// with a_mult = round(s_a/s_y·2^shift), b_mult = round(s_b/s_y·2^shift), shift chosen so
/// that the larger is in [2^29, 2^30) (at most 62). n elements.
typedef struct {
    int32_t a_zero, b_zero, out_zero;
    int64_t a_mult, b_mult;
    int32_t shift;
} pith_q_add;
void pith_q_add_u8(const pith_q_add *p, const uint8_t *a, const uint8_t *b, long n, uint8_t *y);
void pith_q_add_u8_reference(const pith_q_add *p, const uint8_t *a, const uint8_t *b, long n, uint8_t *y);

/// The mean over T tokens of (T, D) codes: y_c = clamp(z_y + apply(Σ_t (x_tc − zx), ratio), 0, 255),
/// ratio s_x/(T·s_y). `batch` samples.
void pith_q_mean_tokens_u8(const uint8_t *x, long batch, int32_t T, int32_t D, int32_t x_zero, pith_q_ratio ratio,
                           int32_t out_zero, uint8_t *y);

/// The AVX2 twins of the bodies, callable on any CPU (the portable body where there is no
/// AVX2), for the tests that hold them to the references; the entries above choose them on
/// CPUs with AVX2 and without AVX-512.
void pith_q_layernorm_u8_avx2(const pith_q_layernorm *p, const uint8_t *x, long rows, uint8_t *y);
void pith_q_attention_u8_avx2(const pith_q_attention *p, const uint8_t *q, const uint8_t *k, const uint8_t *v, long batch,
                              uint8_t *y, void *scratch);
void pith_q_add_u8_avx2(const pith_q_add *p, const uint8_t *a, const uint8_t *b, long n, uint8_t *y);

/// y_i = table[x_i], n elements (AVX-512 VBMI: vpermi2b, 64 a step).
void pith_q_lookup_u8(const uint8_t *x, long n, const uint8_t *table, uint8_t *y);
void pith_q_lookup_u8_reference(const uint8_t *x, long n, const uint8_t *table, uint8_t *y);

/// acc (rows, N) += bias (rows, N): a Dense layer's bias per token, added before requantizing.
void pith_q_add_rows_s32(int32_t *acc, const int32_t *bias, long count);

#endif
