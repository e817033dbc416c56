// The integer attention on AVX-512 VNNI: the same integer steps as attention_body
// (q_transformer.c), bit for bit, 16 keys or 16 columns a vector. Per sample and head, k and
// v are centered into int16 pairs once — k as (c, c+1) pairs for 16 keys a row, v as
// (j, j+1) pairs for 16 columns a row — so that the scores and the context are vpdpwssd
// (int16 pairs, exact int32 sums) on a broadcast query pair or probability pair.
#include "q_attention_internal.h"
#if defined(__x86_64__)
#include <immintrin.h>

#define ATT512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

/// Two 16-bit values as one 32-bit lane: a in the low half.
static inline uint32_t pair16(int32_t a, int32_t b) { return (uint32_t)(uint16_t)(int16_t)a | (uint32_t)(uint16_t)(int16_t)b << 16; }

/// 16 int32 lanes x → (x·mult + 2^(shift−1)) >> shift in int64, then max(…, lo) when
/// `floor`, back to int32 (the values fit: callers clamp).
ATT512 static inline __m512i ratio16(__m512i x, int64_t mult, int32_t shift, int64_t lo) {
    const __m512i m = _mm512_set1_epi64(mult), half = _mm512_set1_epi64((int64_t)1 << (shift - 1)), floor = _mm512_set1_epi64(lo);
    const __m128i count = _mm_cvtsi32_si128(shift);
    __m512i a = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(x)), b = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(x, 1));
    a = _mm512_max_epi64(_mm512_sra_epi64(_mm512_add_epi64(_mm512_mullo_epi64(a, m), half), count), floor);
    b = _mm512_max_epi64(_mm512_sra_epi64(_mm512_add_epi64(_mm512_mullo_epi64(b, m), half), count), floor);
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(a)), _mm512_cvtepi64_epi32(b), 1);
}

/// The live lanes of key block jb (keys 16·jb ... of T).
static inline __mmask16 live_keys(int32_t T, int32_t jb) {
    const int32_t left = T - 16 * jb;
    return left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
}

ATT512 void pith_q_attention_avx512(const pith_q_attention *p, const uint8_t *q, const uint8_t *k, const uint8_t *v, long batch,
                                    uint8_t *y, void *scratch) {
    const int32_t T = p->T, D = p->D, H = p->heads, dh = D / H;
    const attention_layout L = pith_q_attention_layout(T, D, H);
    uint32_t *kp = (uint32_t *)scratch;      // (dh2, Tp) pairs of one head's k
    uint32_t *vp = kp + L.k_pairs;           // (T2, dhp) pairs of one head's v
    int32_t *score = (int32_t *)(vp + L.v_pairs);     // (T, Tp) scores, then exps, of one head
    int16_t *prob16 = (int16_t *)(score + (long)T * L.Tp); // (T, Tp) probabilities
    int32_t *row_max = (int32_t *)(prob16 + (long)T * L.Tp); // T maxima, then sums
    int64_t *reciprocal = (int64_t *)(row_max + T + (T & 1)); // T
    int16_t *k16 = (int16_t *)(reciprocal + T), *v16 = k16 + (long)T * D, *q16 = v16 + (long)T * D; // q, k, v centered, one sample
    const __m512i high = _mm512_loadu_si512(pith_q_exp_high), mid = _mm512_loadu_si512(pith_q_exp_mid), low = _mm512_loadu_si512(pith_q_exp_low);
    const __m512i thirtyone = _mm512_set1_epi16(31);
    const int32_t blocks = L.Tp / 16;
    // Lane 2m of a pair row takes word m of the first row, lane 2m + 1 word m of the second.
    int16_t interleave[32];
    for (int m = 0; m < 16; m++) { interleave[2 * m] = (int16_t)m; interleave[2 * m + 1] = (int16_t)(32 + m); }
    const __m512i pairs = _mm512_loadu_si512(interleave);
    for (long b = 0; b < batch; b++) {
        const long base = b * (long)T * D, n = (long)T * D;
        const __m512i zk = _mm512_set1_epi16((short)p->k_zero), zv = _mm512_set1_epi16((short)p->v_zero), zqv = _mm512_set1_epi16((short)p->q_zero);
        for (long i = 0; i < n; i += 32) {
            const __mmask32 live = n - i >= 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << (n - i)) - 1);
            _mm512_mask_storeu_epi16(k16 + i, live, _mm512_sub_epi16(_mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(live, k + base + i)), zk));
            _mm512_mask_storeu_epi16(v16 + i, live, _mm512_sub_epi16(_mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(live, v + base + i)), zv));
            _mm512_mask_storeu_epi16(q16 + i, live, _mm512_sub_epi16(_mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(live, q + base + i)), zqv));
        }
        for (int32_t h = 0; h < H; h++) {
            const int32_t c0 = h * dh;
            if (dh % 2 == 0) {
                // Pair cp of key j is the 32-bit word at k16 + j·D + c0 + 2cp (even offsets).
                const int32_t *words = (const int32_t *)(k16 + c0);
                for (int32_t jb = 0; jb < blocks; jb++) {
                    const int32_t left = T - 16 * jb;
                    const __mmask16 live = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
                    const __m512i rows = _mm512_mullo_epi32(_mm512_add_epi32(_mm512_set1_epi32(16 * jb), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)),
                                                            _mm512_set1_epi32(D / 2));
                    for (int32_t cp = 0; cp < L.dh2; cp++) {
                        _mm512_storeu_si512(kp + (long)cp * L.Tp + 16 * jb, _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), live, rows, words + cp, 4));
                    }
                }
            } else {
                for (int32_t cp = 0; cp < L.dh2; cp++) {
                    for (int32_t j = 0; j < L.Tp; j++) {
                        int32_t a = 0, a2 = 0;
                        if (j < T) {
                            a = k16[(long)j * D + c0 + 2 * cp];
                            a2 = 2 * cp + 1 < dh ? k16[(long)j * D + c0 + 2 * cp + 1] : 0;
                        }
                        kp[(long)cp * L.Tp + j] = pair16(a, a2);
                    }
                }
            }
            // Pair row jp: (v_2jp,c, v_2jp+1,c) for 16 columns a block, zero past d_h and T.
            for (int32_t jp = 0; jp < L.T2; jp++) {
                const int16_t *r0 = v16 + (long)(2 * jp) * D + c0, *r1 = r0 + D;
                const int has_second = 2 * jp + 1 < T;
                for (int32_t cb = 0; cb < L.dhp / 16; cb++) {
                    const int32_t left = dh - 16 * cb;
                    const __mmask16 live = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
                    const __m512i a = _mm512_castsi256_si512(_mm256_maskz_loadu_epi16(live, r0 + 16 * cb));
                    const __m512i c = _mm512_castsi256_si512(_mm256_maskz_loadu_epi16(has_second ? live : 0, r1 + 16 * cb));
                    _mm512_storeu_si512(vp + (long)jp * L.dhp + 16 * cb, _mm512_permutex2var_epi16(a, pairs, c));
                }
            }
            // In phases over all T queries of the head, so that the queries' independent
            // chains overlap: scores and their maximum; exps and their sum; the reciprocal;
            // probabilities; the context.
            for (int32_t i = 0; i < T; i++) {
                const int16_t *qc = q16 + (long)i * D + c0;
                __m512i m = _mm512_set1_epi32(INT32_MIN);
                for (int32_t jb = 0; jb < blocks; jb++) {
                    __m512i acc = _mm512_setzero_si512();
                    for (int32_t cp = 0; cp < L.dh2; cp++) {
                        int32_t pair;
                        if (dh % 2 == 0) __builtin_memcpy(&pair, qc + 2 * cp, 4);
                        else pair = (int32_t)pair16(qc[2 * cp], 2 * cp + 1 < dh ? qc[2 * cp + 1] : 0);
                        acc = _mm512_dpwssd_epi32(acc, _mm512_set1_epi32(pair), _mm512_loadu_si512(kp + (long)cp * L.Tp + 16 * jb));
                    }
                    _mm512_storeu_si512(score + (long)i * L.Tp + 16 * jb, acc);
                    m = _mm512_mask_max_epi32(m, live_keys(T, jb), m, acc);
                }
                row_max[i] = _mm512_reduce_max_epi32(m);
            }
            // Exps 32 keys at a time (two blocks as words): three vpermw and two vpmulhrsw.
            for (int32_t i = 0; i < T; i++) {
                const __m512i mx = _mm512_set1_epi32(row_max[i]);
                __m512i total = _mm512_setzero_si512();
                int32_t *row = score + (long)i * L.Tp;
                for (int32_t jb = 0; jb < blocks; jb += 2) {
                    __m256i w16[2];
                    for (int32_t h2 = 0; h2 < 2; h2++) {
                        // w = min(−ratio(S − max), 16383) (blocks past Tp read as all-zero S − max).
                        const __m512i d = jb + h2 < blocks ? _mm512_sub_epi32(_mm512_loadu_si512(row + 16 * (jb + h2)), mx) : _mm512_setzero_si512();
                        const __m512i z = ratio16(d, p->score.mult, p->score.shift, -16383);
                        w16[h2] = _mm512_cvtepi32_epi16(_mm512_sub_epi32(_mm512_setzero_si512(), z));
                    }
                    const __m512i w = _mm512_inserti64x4(_mm512_castsi256_si512(w16[0]), w16[1], 1);
                    const __m512i a = _mm512_permutexvar_epi16(_mm512_srli_epi16(w, 10), high);
                    const __m512i bm = _mm512_permutexvar_epi16(_mm512_and_si512(_mm512_srli_epi16(w, 5), thirtyone), mid);
                    const __m512i c = _mm512_permutexvar_epi16(_mm512_and_si512(w, thirtyone), low);
                    const __mmask32 live = (__mmask32)live_keys(T, jb) | (jb + 1 < blocks ? (__mmask32)live_keys(T, jb + 1) << 16 : 0);
                    const __m512i e = _mm512_maskz_mov_epi16(live, _mm512_mulhrs_epi16(_mm512_mulhrs_epi16(a, bm), c));
                    total = _mm512_add_epi32(total, _mm512_madd_epi16(e, _mm512_set1_epi16(1)));
                    _mm512_storeu_si512(row + 16 * jb, _mm512_cvtepu16_epi32(_mm512_castsi512_si256(e)));
                    if (jb + 1 < blocks) _mm512_storeu_si512(row + 16 * (jb + 1), _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(e, 1)));
                }
                row_max[i] = _mm512_reduce_add_epi32(total);
            }
            for (int32_t i = 0; i < T; i++) reciprocal[i] = ((int64_t)255 << 38) / (int64_t)row_max[i];
            const __m512i half = _mm512_set1_epi64((int64_t)1 << 37);
            for (int32_t i = 0; i < T; i++) {
                const __m512i rr = _mm512_set1_epi64(reciprocal[i]);
                for (int32_t jb = 0; jb < blocks; jb++) {
                    const __m512i e = _mm512_loadu_si512(score + (long)i * L.Tp + 16 * jb);
                    __m512i lo = _mm512_cvtepu32_epi64(_mm512_castsi512_si256(e)), hi = _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(e, 1));
                    lo = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epu32(lo, rr), half), 38);
                    hi = _mm512_srli_epi64(_mm512_add_epi64(_mm512_mul_epu32(hi, rr), half), 38);
                    const __m512i pr = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(lo)), _mm512_cvtepi64_epi32(hi), 1);
                    _mm256_storeu_si256((__m256i *)(prob16 + (long)i * L.Tp + 16 * jb), _mm512_cvtepi32_epi16(pr));
                }
            }
            // The context, 16 columns a block: Σ over key pairs of (p_j, p_j+1)·(v_j, v_j+1).
            for (int32_t i = 0; i < T; i++) {
                const uint32_t *pp = (const uint32_t *)(prob16 + (long)i * L.Tp);
                uint8_t *yi = y + base + (long)i * D + c0;
                for (int32_t cb = 0; cb < L.dhp / 16; cb++) {
                    __m512i acc = _mm512_setzero_si512();
                    for (int32_t jp = 0; jp < L.T2; jp++) {
                        acc = _mm512_dpwssd_epi32(acc, _mm512_set1_epi32((int32_t)pp[jp]), _mm512_loadu_si512(vp + (long)jp * L.dhp + 16 * cb));
                    }
                    __m512i out = ratio16(acc, p->out.mult, p->out.shift, INT32_MIN);
                    out = _mm512_add_epi32(out, _mm512_set1_epi32(p->out_zero));
                    out = _mm512_min_epi32(_mm512_max_epi32(out, _mm512_setzero_si512()), _mm512_set1_epi32(255));
                    const int32_t left = dh - 16 * cb;
                    const __mmask16 live = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
                    _mm_mask_storeu_epi8(yi + 16 * cb, live, _mm512_cvtepi32_epi8(out));
                }
            }
        }
    }
}
#endif
