// Shared by the integer Transformer's portable bodies (q_transformer.c) and its AVX-512
// kernels (q_attention_avx512.c, q_transformer_avx512.c).
#ifndef PITH_Q_ATTENTION_INTERNAL_H
#define PITH_Q_ATTENTION_INTERNAL_H
#include "include/pith_q_transformer.h"

/// The AVX-512 kernel's scratch for one head: k as int16 (c, c+1) pairs, dh2 = ⌈d_h/2⌉ rows
/// of Tp = T rounded up to 16 keys; v as (j, j+1) pairs, T2 = ⌈T/2⌉ rows of dhp = d_h
/// rounded up to 16 columns; then (T, Tp) int32 scores (then exps), (T, Tp) int16
/// probabilities, T int32 maxima and sums, T int64 reciprocals, and one sample's q − z_q,
/// k − z_k and v − z_v as int16 (T, D) each.
typedef struct {
    int32_t Tp, T2, dh2, dhp;
    long k_pairs, v_pairs;
    size_t bytes;
} attention_layout;

static inline attention_layout pith_q_attention_layout(int32_t T, int32_t D, int32_t heads) {
    attention_layout L;
    const int32_t dh = D / heads;
    L.Tp = (T + 15) / 16 * 16;
    L.T2 = (T + 1) / 2;
    L.dh2 = (dh + 1) / 2;
    L.dhp = (dh + 15) / 16 * 16;
    L.k_pairs = (long)L.dh2 * L.Tp;
    L.v_pairs = (long)L.T2 * L.dhp;
    L.bytes = 4 * ((size_t)L.k_pairs + (size_t)L.v_pairs) + 6 * (size_t)T * (size_t)L.Tp + 4 * ((size_t)T + 1) + 8 * (size_t)T
              + 6 * (size_t)T * (size_t)D + 128;
    return L;
}

#if defined(__x86_64__)
/// The AVX-512 kernels (q_attention_avx512.c, q_transformer_avx512.c): VNNI attention,
/// LayerNorm (F, BW, VL, DQ), the VBMI table lookup.
void pith_q_layernorm_avx512(const pith_q_layernorm *p, const uint8_t *x, long rows, uint8_t *y);
void pith_q_lookup_vbmi(const uint8_t *x, long n, const uint8_t *table, uint8_t *y);
void pith_q_attention_avx512(const pith_q_attention *p, const uint8_t *q, const uint8_t *k, const uint8_t *v, long batch,
                             uint8_t *y, void *scratch);
#endif
#endif
