// The integer LSTM's cell update on AVX-512, 32 units at a time: the same integer steps as
// pith_q_lstm_gate and pith_q_lstm_cell (q_lstm.c), bit for bit.
#include "q_lstm_internal.h"
#if defined(__x86_64__)
#include "q8_requant_avx512.h"

#define LSTM512 __attribute__((target("avx512f,avx512bw,avx512vl"))) static inline

/// A table's 512 segments: the starts T[k] and the steps D[k] = T[k+1] − T[k].
typedef struct {
    const int16_t *start, *step;
} segments;

/// 32 words of a 512-entry word table at k (bits 0 ... 8 of each lane): vpermi2w picks
/// within each of the 8 runs of 64 entries by k's low 6 bits, and three rounds of blends
/// by bits 6, 7 and 8 pick the run.
LSTM512 __m512i select512(const int16_t *table, __m512i k, __mmask32 b6, __mmask32 b7, __mmask32 b8) {
    __m512i run[8];
    for (int r = 0; r < 8; r++) {
        run[r] = _mm512_permutex2var_epi16(_mm512_loadu_si512(table + 64 * r), k, _mm512_loadu_si512(table + 64 * r + 32));
    }
    for (int r = 0; r < 4; r++) run[r] = _mm512_mask_blend_epi16(b6, run[2 * r], run[2 * r + 1]);
    for (int r = 0; r < 2; r++) run[r] = _mm512_mask_blend_epi16(b7, run[2 * r], run[2 * r + 1]);
    return _mm512_mask_blend_epi16(b8, run[0], run[1]);
}

/// Q3.12 → Q0.15 of 32 values (z0, z1: 16 int32 lanes each, within int16) through a
/// 513-entry table, as pith_q_sigmoid: u = z + 32768, k = u >> 7, t = u & 127,
/// T[k] + ((T[k+1] − T[k])·t + 64) >> 7. The last term is vpmulhrsw's (D·256t + 2^14) >> 15,
/// the same floor; the sum lies between T[k] and T[k+1], within int16.
LSTM512 void lookup32(const segments *s, __m512i z0, __m512i z1, __m512i *y0, __m512i *y1) {
    const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi32_epi16(z0)), _mm512_cvtepi32_epi16(z1), 1);
    const __m512i u = _mm512_xor_si512(z, _mm512_set1_epi16((short)0x8000));
    const __m512i k = _mm512_srli_epi16(u, 7), t = _mm512_and_si512(u, _mm512_set1_epi16(127));
    const __mmask32 b6 = _mm512_test_epi16_mask(u, _mm512_set1_epi16(1 << 13));
    const __mmask32 b7 = _mm512_test_epi16_mask(u, _mm512_set1_epi16(1 << 14));
    const __mmask32 b8 = _mm512_test_epi16_mask(u, _mm512_set1_epi16((short)(1 << 15)));
    const __m512i a = select512(s->start, k, b6, b7, b8), d = select512(s->step, k, b6, b7, b8);
    const __m512i y = _mm512_add_epi16(a, _mm512_mulhrs_epi16(d, _mm512_slli_epi16(t, 8)));
    *y0 = _mm512_cvtepi16_epi32(_mm512_castsi512_si256(y));
    *y1 = _mm512_cvtepi16_epi32(_mm512_extracti64x4_epi64(y, 1));
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

/// 16 units' cell update in place (c int16 at `c`, lanes `live`): c = sat16(rshift(f·c, 15) +
/// rshift(i·g, 30 − cs)); returns c in Q3.12 for tanh (a rounding right shift, or a
/// saturating left shift).
LSTM512 __m512i cell(int16_t *c, __mmask16 live, __m512i ig, __m512i fg, __m512i gg, int32_t cs) {
    const __m512i c0 = _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(live, c));
    const __m512i cv = saturate16(_mm512_add_epi32(rounding_shift(_mm512_mullo_epi32(fg, c0), 15),
                                                   rounding_shift(_mm512_mullo_epi32(ig, gg), 30 - cs)));
    _mm512_mask_cvtepi32_storeu_epi16(c, live, cv);
    if (cs > 12) return rounding_shift(cv, cs - 12);
    if (cs < 12) return saturate16(_mm512_slli_epi32(cv, (unsigned)(12 - cs)));
    return cv;
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
void pith_q_lstm_cells_avx512(const pith_q_lstm *p, const int32_t *ax, long ldax, const int32_t *ah, int32_t chunk, int16_t *c,
                              uint8_t *h, long ldh) {
    const int32_t H = p->hidden, rows = 4 * H, cs = p->cell_shift;
    int32_t om[16], os[16];
    for (int i = 0; i < 16; i++) { om[i] = p->out_mult; os[i] = p->out_shift; }
    const pith_rq16 mo = pith_rq16_prepare(om, os, 0xFFFF);
    const __m512i hz = _mm512_set1_epi32(p->h_zero), h_lo = _mm512_setzero_si512(), h_hi = _mm512_set1_epi32(255);
    const segments sigmoid = {pith_q_sigmoid_table, pith_q_sigmoid_step}, tanh = {pith_q_tanh_table, pith_q_tanh_step};
    for (int32_t b = 0; b < chunk; b++) {
        const int32_t *axb = ax + (size_t)b * ldax, *ahb = ah ? ah + (size_t)b * rows : NULL;
        int16_t *cb = c + (size_t)b * H;
        uint8_t *hb = h + (size_t)b * ldh;
        // Two groups of 16 units at a time: their gates and their 32-lane lookups.
        for (int32_t j = 0; j < H; j += 32) {
            const __mmask16 live0 = H - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (H - j)) - 1);
            const __mmask16 live1 = H - j >= 32 ? (__mmask16)0xFFFF : H - j <= 16 ? (__mmask16)0 : (__mmask16)((1u << (H - j - 16)) - 1);
            __m512i i0, i1, f0, f1, g0, g1, o0, o1, t0, t1;
            lookup32(&sigmoid, gate(p, j, axb, ahb, live0), gate(p, j + 16, axb, ahb, live1), &i0, &i1);
            lookup32(&sigmoid, gate(p, H + j, axb, ahb, live0), gate(p, H + j + 16, axb, ahb, live1), &f0, &f1);
            lookup32(&tanh, gate(p, 2 * H + j, axb, ahb, live0), gate(p, 2 * H + j + 16, axb, ahb, live1), &g0, &g1);
            lookup32(&sigmoid, gate(p, 3 * H + j, axb, ahb, live0), gate(p, 3 * H + j + 16, axb, ahb, live1), &o0, &o1);
            const __m512i q0 = cell(cb + j, live0, i0, f0, g0, cs), q1 = cell(cb + j + 16, live1, i1, f1, g1, cs);
            lookup32(&tanh, q0, q1, &t0, &t1);
            _mm512_mask_cvtepi32_storeu_epi8(hb + j, live0, pith_rq16_apply(_mm512_mullo_epi32(o0, t0), &mo, hz, h_lo, h_hi));
            _mm512_mask_cvtepi32_storeu_epi8(hb + j + 16, live1, pith_rq16_apply(_mm512_mullo_epi32(o1, t1), &mo, hz, h_lo, h_hi));
        }
    }
}
#endif
