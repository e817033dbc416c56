// The integer LSTM's cell update on AVX-512, 16 units at a time: the same integer steps as
// pith_q_lstm_gate and pith_q_lstm_cell (q_lstm.c), bit for bit.
#include "q_lstm_internal.h"
#if defined(__x86_64__)
#include "q8_requant_avx512.h"

#define LSTM512 __attribute__((target("avx512f,avx512bw,avx512vl"))) static inline

/// Q3.12 → Q0.15 through a 513-entry table: u = z + 32768 (z already int16), k = u >> 7,
/// t = u & 127, T[k] + ((T[k+1] − T[k])·t + 64) >> 7. One gather takes the pair
/// (T[k], T[k+1]) as the low and high halves of the dword at T + k (k ≤ 511).
LSTM512 __m512i lookup(const int16_t *table, __m512i z, __mmask16 live) {
    const __m512i u = _mm512_add_epi32(z, _mm512_set1_epi32(32768));
    const __m512i k = _mm512_srli_epi32(u, 7), t = _mm512_and_si512(u, _mm512_set1_epi32(127));
    const __m512i pair = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), live, k, (const void *)table, 2);
    const __m512i a = _mm512_srai_epi32(_mm512_slli_epi32(pair, 16), 16), b = _mm512_srai_epi32(pair, 16);
    const __m512i d = _mm512_mullo_epi32(_mm512_sub_epi32(b, a), t);
    return _mm512_add_epi32(a, _mm512_srai_epi32(_mm512_add_epi32(d, _mm512_set1_epi32(64)), 7));
}

/// (v + 2^(s−1)) >> s, s ≥ 1 (v + 2^(s−1) stays within int32 for the products here).
LSTM512 __m512i rounding_shift(__m512i v, int s) {
    return _mm512_srai_epi32(_mm512_add_epi32(v, _mm512_set1_epi32(1 << (s - 1))), (unsigned)s);
}

LSTM512 __m512i saturate16(__m512i v) {
    return _mm512_min_epi32(_mm512_max_epi32(v, _mm512_set1_epi32(-32768)), _mm512_set1_epi32(32767));
}

/// Gate rows r0 ... r0 + 15: sat16(MBQM(ax) + MBQM(ah)), the sum exact: where the int32
/// sum overflows, both terms share the sign that saturates it.
LSTM512 __m512i gate(const pith_q_lstm *p, int32_t r0, const int32_t *ax, const int32_t *ah, __mmask16 live) {
    const __m512i zero = _mm512_setzero_si512(), lo = _mm512_set1_epi32(INT32_MIN), hi = _mm512_set1_epi32(INT32_MAX);
    const pith_rq16 mx = pith_rq16_prepare(p->x_mult + r0, p->x_shift + r0, live);
    const __m512i a = pith_rq16_apply(_mm512_maskz_loadu_epi32(live, ax + r0), &mx, zero, lo, hi);
    if (!ah) return saturate16(a);
    const pith_rq16 mh = pith_rq16_prepare(p->h_mult + r0, p->h_shift + r0, live);
    const __m512i b = pith_rq16_apply(_mm512_maskz_loadu_epi32(live, ah + r0), &mh, zero, lo, hi);
    const __m512i s = _mm512_add_epi32(a, b);
    const __mmask16 overflow = _mm512_cmplt_epi32_mask(_mm512_and_si512(_mm512_xor_si512(a, s), _mm512_xor_si512(b, s)), zero);
    const __m512i bound = _mm512_mask_blend_epi32(_mm512_cmplt_epi32_mask(a, zero), _mm512_set1_epi32(32767), _mm512_set1_epi32(-32768));
    return _mm512_mask_mov_epi32(saturate16(s), overflow, bound);
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
void pith_q_lstm_cells_avx512(const pith_q_lstm *p, const int32_t *ax, long ldax, const int32_t *ah, int32_t chunk, int16_t *c,
                              uint8_t *h, long ldh) {
    const int32_t H = p->hidden, rows = 4 * H, cs = p->cell_shift;
    int32_t om[16], os[16];
    for (int i = 0; i < 16; i++) { om[i] = p->out_mult; os[i] = p->out_shift; }
    const pith_rq16 mo = pith_rq16_prepare(om, os, 0xFFFF);
    const __m512i hz = _mm512_set1_epi32(p->h_zero), h_lo = _mm512_setzero_si512(), h_hi = _mm512_set1_epi32(255);
    for (int32_t b = 0; b < chunk; b++) {
        const int32_t *axb = ax + (size_t)b * ldax, *ahb = ah ? ah + (size_t)b * rows : NULL;
        int16_t *cb = c + (size_t)b * H;
        uint8_t *hb = h + (size_t)b * ldh;
        for (int32_t j = 0; j < H; j += 16) {
            const __mmask16 live = H - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (H - j)) - 1);
            const __m512i ig = lookup(pith_q_sigmoid_table, gate(p, j, axb, ahb, live), live);
            const __m512i fg = lookup(pith_q_sigmoid_table, gate(p, H + j, axb, ahb, live), live);
            const __m512i gg = lookup(pith_q_tanh_table, gate(p, 2 * H + j, axb, ahb, live), live);
            const __m512i og = lookup(pith_q_sigmoid_table, gate(p, 3 * H + j, axb, ahb, live), live);
            const __m512i c0 = _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(live, cb + j));
            const __m512i cv = saturate16(_mm512_add_epi32(rounding_shift(_mm512_mullo_epi32(fg, c0), 15),
                                                           rounding_shift(_mm512_mullo_epi32(ig, gg), 30 - cs)));
            _mm512_mask_cvtepi32_storeu_epi16(cb + j, live, cv);
            // c in Q3.12: a rounding right shift, or a saturating left shift.
            __m512i q12 = cv;
            if (cs > 12) q12 = rounding_shift(cv, cs - 12);
            else if (cs < 12) q12 = saturate16(_mm512_slli_epi32(cv, (unsigned)(12 - cs)));
            const __m512i tc = lookup(pith_q_tanh_table, q12, live);
            const __m512i hv = pith_rq16_apply(_mm512_mullo_epi32(og, tc), &mo, hz, h_lo, h_hi);
            _mm512_mask_cvtepi32_storeu_epi8(hb + j, live, hv);
        }
    }
}
#endif
