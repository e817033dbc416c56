// x86 microkernels of the int8 GEMM: AVX-512 VNNI, AVX-VNNI and AVX2, each compiled with
// its own target attribute and chosen at run time (q8_gemm.c). Each computes
// tile[r][c] = Σ_k A[r][k]·W[c][k] over all K for mr rows and 16·np columns of packed W.
//
// The kernel bodies are always-inline functions of (MR, NP); a switch calls them with
// constants, so the compiler makes one specialised copy per shape with the accumulators
// in registers (6×4 zmm for the main AVX-512 tile; 1×4 for batch-1 rows).
#include "q8_internal.h"
#include "q8_requant_avx512.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#define INLINE static inline __attribute__((always_inline))
#define VNNI512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#define VNNI256 __attribute__((target("avx2,avxvnni")))
#define AVX2 __attribute__((target("avx2")))

// MARK: AVX-512 VNNI — vpdpbusd on zmm: 16 columns × 4 k per instruction.

/// One group of 4 k: acc[r][p] += the 4 bytes at ROW_A (an expression of r) · panel p's
/// 16 columns of group g.
#define GROUP512(g, ROW_A)                                                                       \
    do {                                                                                         \
        __m512i b[4];                                                                            \
        for (int p = 0; p < NP; p++) b[p] = _mm512_load_si512((const void *)(B + p * pb + (g) * 64)); \
        for (int r = 0; r < MR; r++) {                                                           \
            int32_t a4;                                                                          \
            memcpy(&a4, ROW_A, 4);                                                               \
            __m512i a = _mm512_set1_epi32(a4);                                                   \
            for (int p = 0; p < NP; p++) acc[r][p] = _mm512_dpbusd_epi32(acc[r][p], a, b[p]);    \
        }                                                                                        \
    } while (0)

/// With `ind`, row r's group g is the 4 bytes at ind->rows[r] + ind->goff[g] (a convolution
/// read in place; K is then a multiple of 4); else at A + r·lda + 4g. With `list`, only
/// the nlist groups it names are summed (the others are zero in all MR rows of A, so they
/// add nothing); else every group. C gets int32. (The requantization is a separate
/// function: in the same one, its constants and pointers crowd the loop's registers
/// and the loop spills — 6% slower on 512³.)
VNNI512 INLINE void body512(const uint8_t *A, long lda, const int8_t *B, long pb, int32_t K, const int32_t *init,
                            const pith_q8_indirect *ind, const int32_t *list, int32_t nlist,
                            int32_t *C, long ldc, const int MODE, const int MR, const int NP) {
    __m512i acc[6][4];
    for (int p = 0; p < NP; p++) {
        __m512i start = _mm512_loadu_si512((const void *)(init + 16 * p));
        for (int r = 0; r < MR; r++) acc[r][p] = start;
    }
    const int32_t full = K / 4, groups = (K + 3) / 4;
    // MODE is a constant (0: plain, 1: list, 2: ind, 3: ind and list), so each copy has one
    // loop and its accumulators stay in registers.
    if (MODE == 2) {
        const uint8_t *rows[6];
        for (int r = 0; r < MR; r++) rows[r] = ind->rows[r];
        for (int32_t g = 0; g < full; g++) {
            const int32_t at = ind->goff[g];
            GROUP512(g, rows[r] + at);
        }
    } else if (MODE == 3) {
        const uint8_t *rows[6];
        for (int r = 0; r < MR; r++) rows[r] = ind->rows[r];
        for (int32_t i = 0; i < nlist; i++) {
            const int32_t g = list[i], at = ind->goff[g];
            GROUP512(g, rows[r] + at);
        }
    } else if ((MODE == 0 || MODE == 1) && MR == 1) {
        // One row: each accumulator would take one vpdpbusd per group, a chain as long as
        // the list. Alternate groups go to a second set (acc[1], free with one row), added
        // at the end: half the chain, twice the loads in flight.
        for (int p = 0; p < NP; p++) acc[1][p] = _mm512_setzero_si512();
        const int32_t count = MODE == 1 ? nlist : full;
        int32_t i = 0;
        for (; i + 2 <= count; i += 2) {
            const int32_t g0 = MODE == 1 ? list[i] : i, g1 = MODE == 1 ? list[i + 1] : i + 1;
            int32_t a0, a1;
            memcpy(&a0, A + 4 * g0, 4);
            memcpy(&a1, A + 4 * g1, 4);
            const __m512i x0 = _mm512_set1_epi32(a0), x1 = _mm512_set1_epi32(a1);
            for (int p = 0; p < NP; p++) {
                acc[0][p] = _mm512_dpbusd_epi32(acc[0][p], x0, _mm512_load_si512((const void *)(B + p * pb + g0 * 64)));
                acc[1][p] = _mm512_dpbusd_epi32(acc[1][p], x1, _mm512_load_si512((const void *)(B + p * pb + g1 * 64)));
            }
        }
        for (; i < count; i++) {
            const int32_t g = MODE == 1 ? list[i] : i;
            GROUP512(g, A + r * lda + 4 * g);
        }
        for (int p = 0; p < NP; p++) acc[0][p] = _mm512_add_epi32(acc[0][p], acc[1][p]);
    } else if (MODE == 1) {
        for (int32_t i = 0; i < nlist; i++) {
            const int32_t g = list[i];
            GROUP512(g, A + r * lda + 4 * g);
        }
    } else {
        for (int32_t g = 0; g < full; g++) GROUP512(g, A + r * lda + 4 * g);
    }
    if (full < groups) {
        for (int r = 0; r < MR; r++) {
            __m512i a = _mm512_set1_epi32(pith_q8_load_a4(A + r * lda, full, K));
            for (int p = 0; p < NP; p++)
                acc[r][p] = _mm512_dpbusd_epi32(acc[r][p], a, _mm512_load_si512((const void *)(B + p * pb + full * 64)));
        }
    }
    for (int r = 0; r < MR; r++)
        for (int p = 0; p < NP; p++) _mm512_storeu_si512((void *)(C + r * ldc + 16 * p), acc[r][p]);
}

#define SHAPES(BODY)                                                                             \
    switch (mr * 8 + np) {                                                                       \
    case 1 * 8 + 1: BODY(1, 1); break; case 1 * 8 + 2: BODY(1, 2); break;                        \
    case 1 * 8 + 3: BODY(1, 3); break; case 1 * 8 + 4: BODY(1, 4); break;                        \
    case 2 * 8 + 1: BODY(2, 1); break; case 2 * 8 + 2: BODY(2, 2); break;                        \
    case 2 * 8 + 3: BODY(2, 3); break; case 2 * 8 + 4: BODY(2, 4); break;                        \
    case 3 * 8 + 1: BODY(3, 1); break; case 3 * 8 + 2: BODY(3, 2); break;                        \
    case 3 * 8 + 3: BODY(3, 3); break; case 3 * 8 + 4: BODY(3, 4); break;                        \
    case 4 * 8 + 1: BODY(4, 1); break; case 4 * 8 + 2: BODY(4, 2); break;                        \
    case 4 * 8 + 3: BODY(4, 3); break; case 4 * 8 + 4: BODY(4, 4); break;                        \
    case 5 * 8 + 1: BODY(5, 1); break; case 5 * 8 + 2: BODY(5, 2); break;                        \
    case 5 * 8 + 3: BODY(5, 3); break; case 5 * 8 + 4: BODY(5, 4); break;                        \
    case 6 * 8 + 1: BODY(6, 1); break; case 6 * 8 + 2: BODY(6, 2); break;                        \
    case 6 * 8 + 3: BODY(6, 3); break; case 6 * 8 + 4: BODY(6, 4); break;                        \
    default: __builtin_unreachable();                                                            \
    }

VNNI512 void pith_q8_kernel_avx512vnni(const uint8_t *A, long lda, int mr, const int8_t *B, long pb, int np,
                                       int32_t K, const int32_t *init, int32_t *C, long ldc) {
#define CALL512(R, P) body512(A, lda, B, pb, K, init, NULL, NULL, 0, C, ldc, 0, R, P)
    SHAPES(CALL512)
}

/// tile (mr rows of 16·np int32, PITH_Q8_NC apart) → out, requantized: o's multipliers
/// and shifts start at the block's first column, nc columns live.
__attribute__((noinline)) VNNI512 static void requantize_tile(const int32_t *tile, int mr, int np, const pith_q8_output *o,
                                                              uint8_t *out, long ldo, int nc) {
    const __m512i zp = _mm512_set1_epi32(o->out_zero), lo = _mm512_set1_epi32(o->out_min), hi = _mm512_set1_epi32(o->out_max);
    for (int p = 0; p < np; p++) {
        int live_columns = nc - 16 * p;
        __mmask16 live = live_columns >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << live_columns) - 1);
        pith_rq16 c = pith_rq16_prepare(o->mult + 16 * p, o->shift + 16 * p, live);
        for (int r = 0; r < mr; r++) {
            __m512i x = _mm512_load_si512((const void *)(tile + r * PITH_Q8_NC + 16 * p));
            __m128i codes = _mm512_cvtusepi32_epi8(pith_rq16_apply(x, &c, zp, lo, hi));
            if (live == 0xFFFF) _mm_storeu_si128((__m128i *)(out + r * ldo + 16 * p), codes);
            else _mm_mask_storeu_epi8(out + r * ldo + 16 * p, live, codes);
        }
    }
}

VNNI512 void pith_q8_kernel_avx512vnni_ex(const uint8_t *A, long lda, int mr, const int8_t *B, long pb, int np, int32_t K,
                                          const int32_t *init, const pith_q8_indirect *ind, const int32_t *list, int32_t nlist,
                                          int32_t *C, long ldc, const pith_q8_output *o, uint8_t *out, long ldo, int nc) {
    int32_t tile[PITH_Q8_MR_MAX * PITH_Q8_NC] __attribute__((aligned(64)));
    if (out) { C = tile; ldc = PITH_Q8_NC; }
#define CALL512_PLAIN(R, P) body512(A, lda, B, pb, K, init, NULL, NULL, 0, C, ldc, 0, R, P)
#define CALL512_LIST(R, P) body512(A, lda, B, pb, K, init, NULL, list, nlist, C, ldc, 1, R, P)
#define CALL512_IND(R, P) body512(A, lda, B, pb, K, init, ind, NULL, 0, C, ldc, 2, R, P)
#define CALL512_IND_LIST(R, P) body512(A, lda, B, pb, K, init, ind, list, nlist, C, ldc, 3, R, P)
    if (ind && list) {
        SHAPES(CALL512_IND_LIST)
    } else if (ind) {
        SHAPES(CALL512_IND)
    } else if (list) {
        SHAPES(CALL512_LIST)
    } else {
        SHAPES(CALL512_PLAIN)
    }
    if (out) requantize_tile(tile, mr, np, o, out, ldo, nc);
}

VNNI512 int32_t pith_q8_nonzero_groups_indirect(const pith_q8_indirect *ind, int mr, int32_t groups, int32_t run_groups,
                                                int32_t *list) {
    const __m512i step = _mm512_set1_epi32(16);
    int32_t n = 0;
    for (int32_t g0 = 0; g0 < groups; g0 += run_groups) {
        const int32_t at = ind->goff[g0];
        __m512i index = _mm512_add_epi32(_mm512_set1_epi32(g0), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
        for (int32_t g = 0; g < run_groups; g += 16, index = _mm512_add_epi32(index, step)) {
            __mmask16 live = run_groups - g >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (run_groups - g)) - 1);
            __m512i any = _mm512_setzero_si512();
            for (int r = 0; r < mr; r++) any = _mm512_or_si512(any, _mm512_maskz_loadu_epi32(live, ind->rows[r] + at + 4 * g));
            __mmask16 nonzero = _mm512_mask_test_epi32_mask(live, any, any);
            _mm512_storeu_si512((void *)(list + n), _mm512_maskz_compress_epi32(nonzero, index));
            n += __builtin_popcount(nonzero);
        }
    }
    return n;
}

VNNI512 int32_t pith_q8_nonzero_groups(const uint8_t *A, long lda, int mr, int32_t groups, int32_t *list) {
    const __m512i step = _mm512_set1_epi32(16);
    __m512i index = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int32_t n = 0;
    for (int32_t g = 0; g < groups; g += 16, index = _mm512_add_epi32(index, step)) {
        __mmask16 live = groups - g >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (groups - g)) - 1);
        __m512i any = _mm512_setzero_si512();
        for (int r = 0; r < mr; r++) any = _mm512_or_si512(any, _mm512_maskz_loadu_epi32(live, A + r * lda + 4 * g));
        __mmask16 nonzero = _mm512_mask_test_epi32_mask(live, any, any);
        // Register compress, then a full store (list has 16 entries of slack): the memory
        // form of vpcompressd is slow on Zen.
        _mm512_storeu_si512((void *)(list + n), _mm512_maskz_compress_epi32(nonzero, index));
        n += __builtin_popcount(nonzero);
    }
    return n;
}

VNNI512 int32_t pith_q8_vnni_peak_probe(long iterations) {
    __m512i acc[24];
    for (int i = 0; i < 24; i++) acc[i] = _mm512_set1_epi32(i);
    __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-5);
    for (long it = 0; it < iterations; it++) {
        for (int i = 0; i < 24; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
        __asm__ volatile("" : "+v"(a), "+v"(b));  // keep the operands opaque: no hoisting
    }
    __m512i s = acc[0];
    for (int i = 1; i < 24; i++) s = _mm512_add_epi32(s, acc[i]);
    return _mm512_reduce_add_epi32(s);
}

// MARK: AVX-VNNI — vpdpbusd on ymm: 8 columns × 4 k; MR 3 × 4 panels = 24 ymm halves
// would not fit 16 registers, so each panel is done in two 8-column halves in turn.

VNNI256 INLINE void body256(const uint8_t *A, long lda, const int8_t *B, long pb, int32_t K, const int32_t *init,
                            int32_t *C, long ldc, const int MR, const int NP) {
    for (int p = 0; p < NP; p++) {
        __m256i acc[6][2];
        __m256i start0 = _mm256_loadu_si256((const void *)(init + 16 * p));
        __m256i start1 = _mm256_loadu_si256((const void *)(init + 16 * p + 8));
        for (int r = 0; r < MR; r++) { acc[r][0] = start0; acc[r][1] = start1; }
        const int8_t *b = B + p * pb;
        const int32_t full = K / 4, groups = (K + 3) / 4;
        for (int32_t g = 0; g < groups; g++) {
            __m256i b0 = _mm256_load_si256((const void *)(b + g * 64));
            __m256i b1 = _mm256_load_si256((const void *)(b + g * 64 + 32));
            for (int r = 0; r < MR; r++) {
                int32_t a4;
                if (g < full) memcpy(&a4, A + r * lda + 4 * g, 4); else a4 = pith_q8_load_a4(A + r * lda, g, K);
                __m256i a = _mm256_set1_epi32(a4);
                acc[r][0] = _mm256_dpbusd_avx_epi32(acc[r][0], a, b0);
                acc[r][1] = _mm256_dpbusd_avx_epi32(acc[r][1], a, b1);
            }
        }
        for (int r = 0; r < MR; r++) {
            _mm256_storeu_si256((void *)(C + r * ldc + 16 * p), acc[r][0]);
            _mm256_storeu_si256((void *)(C + r * ldc + 16 * p + 8), acc[r][1]);
        }
    }
}

VNNI256 void pith_q8_kernel_avxvnni(const uint8_t *A, long lda, int mr, const int8_t *B, long pb, int np,
                                    int32_t K, const int32_t *init, int32_t *C, long ldc) {
#define CALL256(R, P) body256(A, lda, B, pb, K, init, C, ldc, R, P)
    SHAPES(CALL256)
}

// MARK: AVX2 — exact without VNNI. vpmaddubsw would saturate (255·127·2 > 32767), so the
// bytes are widened to int16 and multiplied with vpmaddwd: 4 columns × 4 k per 16 bytes,
// giving per column two partial sums (k0·a0 + k1·a1, k2·a2 + k3·a3), added at the end.

AVX2 INLINE void body_avx2(const uint8_t *A, long lda, const int8_t *B, long pb, int32_t K, const int32_t *init,
                           int32_t *C, long ldc, const int MR, const int NP) {
    for (int p = 0; p < NP; p++) {
        __m256i acc[6][4];
        for (int r = 0; r < MR; r++)
            for (int q = 0; q < 4; q++) acc[r][q] = _mm256_setzero_si256();
        const int8_t *b = B + p * pb;
        const int32_t full = K / 4, groups = (K + 3) / 4;
        for (int32_t g = 0; g < groups; g++) {
            __m256i w[4];
            for (int q = 0; q < 4; q++) w[q] = _mm256_cvtepi8_epi16(_mm_load_si128((const void *)(b + g * 64 + 16 * q)));
            for (int r = 0; r < MR; r++) {
                int32_t a4;
                if (g < full) memcpy(&a4, A + r * lda + 4 * g, 4); else a4 = pith_q8_load_a4(A + r * lda, g, K);
                // [a0 a1 a2 a3] as int16, repeated four times across the register.
                __m256i a = _mm256_cvtepu8_epi16(_mm_set1_epi32(a4));
                for (int q = 0; q < 4; q++) acc[r][q] = _mm256_add_epi32(acc[r][q], _mm256_madd_epi16(w[q], a));
            }
        }
        for (int r = 0; r < MR; r++) {
            for (int q = 0; q < 4; q++) {
                // lanes: c0 lo, c0 hi, c1 lo, c1 hi | c2 lo, c2 hi, c3 lo, c3 hi → c0 c1 c2 c3
                __m256i h = _mm256_hadd_epi32(acc[r][q], acc[r][q]);
                __m128i lo = _mm256_castsi256_si128(h), hi = _mm256_extracti128_si256(h, 1);
                __m128i cols = _mm_add_epi32(_mm_unpacklo_epi64(lo, hi), _mm_loadu_si128((const void *)(init + 16 * p + 4 * q)));
                _mm_storeu_si128((void *)(C + r * ldc + 16 * p + 4 * q), cols);
            }
        }
    }
}

AVX2 void pith_q8_kernel_avx2(const uint8_t *A, long lda, int mr, const int8_t *B, long pb, int np,
                              int32_t K, const int32_t *init, int32_t *C, long ldc) {
#define CALL_AVX2(R, P) body_avx2(A, lda, B, pb, K, init, C, ldc, R, P)
    SHAPES(CALL_AVX2)
}

#else
int32_t pith_q8_vnni_peak_probe(long iterations) { (void)iterations; return 0; }
#endif
