// int8 GEMM: packing, the reference, requantization and the driver that runs a path's
// microkernel over the output. See include/pith_q8_gemm.h for the math.
#include "q8_internal.h"
#include "include/pith_train_kernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t pith_q8_packed_bytes(int32_t K, int32_t N) {
    size_t k4 = ((size_t)K + 3) / 4 * 4, np = ((size_t)N + 15) / 16 * 16;
    return k4 * np;
}

void pith_q8_pack(const int8_t *W, int32_t N, int32_t K, pith_q8_packed *p) {
    p->K = K;
    p->N = N;
    p->K4 = (K + 3) / 4 * 4;
    p->NP = (N + 15) / 16 * 16;
    const int32_t groups = p->K4 / 4;
    for (int32_t panel = 0; panel < p->NP / 16; panel++) {
        int8_t *dst = p->data + (size_t)panel * groups * 64;
        for (int32_t g = 0; g < groups; g++) {
            for (int32_t c = 0; c < 16; c++) {
                int32_t n = panel * 16 + c;
                for (int32_t t = 0; t < 4; t++) {
                    int32_t k = 4 * g + t;
                    dst[g * 64 + 4 * c + t] = (n < N && k < K) ? W[(size_t)n * K + k] : 0;
                }
            }
        }
    }
    for (int32_t n = 0; n < N; n++) {
        int32_t s = 0;
        for (int32_t k = 0; k < K; k++) s += W[(size_t)n * K + k];
        p->colsum[n] = s;
    }
}

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

/// Whether every channel can take the vector epilogue (and so the kernel's own epilogue).
__attribute__((unused)) static int requant_vector_all(const pith_q8_output *o, int32_t N) {
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
    return pith_train_kernels_use_avx512();
}

void pith_q8_requantize_rows(const int32_t *acc, int32_t rows, int32_t N, long ldacc, const pith_q8_output *o,
                             uint8_t *out, long ldo) {
#if defined(__x86_64__)
    if (pith_q8_requantize_uses_avx512()) { requantize_rows_avx512(acc, rows, N, ldacc, o, out, ldo); return; }
#endif
    for (int32_t r = 0; r < rows; r++) pith_q8_requantize_reference(acc + r * ldacc, N, o, out + r * ldo);
}

void pith_q8_requantize(const int32_t *acc, int32_t N, const pith_q8_output *o, uint8_t *out) {
    pith_q8_requantize_rows(acc, 1, N, N, o, out, N);
}

void pith_q8_gemm_reference(const uint8_t *A, long lda, int32_t M, const int8_t *W, int32_t N, int32_t K,
                            const int32_t *bias, int32_t a_zero, int32_t *acc, long ldacc) {
    for (int32_t m = 0; m < M; m++) {
        for (int32_t n = 0; n < N; n++) {
            int32_t s = bias ? bias[n] : 0;
            for (int32_t k = 0; k < K; k++) s += ((int32_t)A[m * lda + k] - a_zero) * (int32_t)W[(size_t)n * K + k];
            acc[m * ldacc + n] = s;
        }
    }
}

void pith_q8_kernel_portable(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes, int np,
                             int32_t K, const int32_t *init, int32_t *C, long ldc) {
    const int32_t groups = (K + 3) / 4;
    for (int r = 0; r < mr; r++) {
        for (int p = 0; p < np; p++) {
            int32_t s[16];
            memcpy(s, init + 16 * p, sizeof s);
            const int8_t *b = B + p * panel_bytes;
            for (int32_t g = 0; g < groups; g++) {
                int32_t a4 = pith_q8_load_a4(A + r * lda, g, K);
                const uint8_t *a = (const uint8_t *)&a4;
                for (int c = 0; c < 16; c++)
                    for (int t = 0; t < 4; t++) s[c] += (int32_t)a[t] * (int32_t)b[g * 64 + 4 * c + t];
            }
            memcpy(C + r * ldc + 16 * p, s, sizeof s);
        }
    }
}

// MARK: path choice

int pith_q8_path_supported(pith_q8_path path) {
    switch (path) {
    case PITH_Q8_REFERENCE: return 1;
#if defined(__x86_64__)
    case PITH_Q8_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    case PITH_Q8_AVXVNNI:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avxvnni");
    case PITH_Q8_AVX512VNNI:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#endif
#if defined(__aarch64__)
    case PITH_Q8_NEON: return 1;
#endif
    default: return 0;
    }
}

pith_q8_path pith_q8_best_path(void) {
    static int decided = -1;
    if (decided < 0) {
        pith_q8_path best = PITH_Q8_REFERENCE;
        const pith_q8_path order[] = {PITH_Q8_AVX512VNNI, PITH_Q8_AVXVNNI, PITH_Q8_AVX2, PITH_Q8_NEON};
        for (int i = 0; i < 4; i++) {
            if (pith_q8_path_supported(order[i])) { best = order[i]; break; }
        }
        const char *force = getenv("PITH_Q8_PATH");
        if (force) {
            const char *names[] = {"", "reference", "avx2", "avxvnni", "avx512vnni", "neon"};
            for (int p = 1; p <= 5; p++) {
                if (strcmp(force, names[p]) == 0 && pith_q8_path_supported((pith_q8_path)p)) best = (pith_q8_path)p;
            }
        }
        decided = best;
    }
    return (pith_q8_path)decided;
}

static pith_q8_kernel kernel_for(pith_q8_path path, int *mr) {
    switch (path) {
#if defined(__x86_64__)
    case PITH_Q8_AVX512VNNI: *mr = 6; return pith_q8_kernel_avx512vnni;
    case PITH_Q8_AVXVNNI: *mr = 3; return pith_q8_kernel_avxvnni;
    case PITH_Q8_AVX2: *mr = 2; return pith_q8_kernel_avx2;
#endif
#if defined(__aarch64__)
    case PITH_Q8_NEON: *mr = 4; return pith_q8_kernel_neon;
#endif
    default: *mr = 4; return pith_q8_kernel_portable;
    }
}

// MARK: driver

/// Zero skipping: 1 (GEMMs) unless PITH_Q8_ZERO_SKIP=0 (off) or =conv (2: implicit-GEMM
/// convolutions too), for benchmarks; the results are the same either way.
__attribute__((unused)) static int zero_skipping_enabled(void) {
    static int enabled = -1;
    if (enabled < 0) {
        const char *v = getenv("PITH_Q8_ZERO_SKIP");
        enabled = v && strcmp(v, "0") == 0 ? 0 : v && strcmp(v, "conv") == 0 ? 2 : 1;
    }
    return enabled;
}

/// init = bias − za·colsum for the columns n0..n0 + 16·np (0 past N); returns the live count.
static int32_t block_init(const pith_q8_packed *W, const int32_t *bias, int32_t a_zero, int32_t n0, int np, int32_t *init) {
    int32_t nc = W->N - n0 < PITH_Q8_NC ? W->N - n0 : PITH_Q8_NC;
    for (int32_t c = 0; c < 16 * np; c++) init[c] = c < nc ? (bias ? bias[n0 + c] : 0) - a_zero * W->colsum[n0 + c] : 0;
    return nc;
}

/// Runs the microkernel over (M, N) in tiles of mr × 64. Each column block starts from
/// init = bias − za·colsum. Accumulators go straight to `acc` where whole panels fit, else
/// through a tile; uint8 output is requantized from the tile row by row.
static void drive(const uint8_t *A, long lda, int32_t M, const pith_q8_packed *W, const int32_t *bias,
                  int32_t a_zero, int32_t *acc, long ldacc, const pith_q8_output *o, uint8_t *out, long ldo,
                  pith_q8_path path) {
    if (path == PITH_Q8_AUTO || !pith_q8_path_supported(path)) path = pith_q8_best_path();
    int mr_max;
    pith_q8_kernel kernel = kernel_for(path, &mr_max);
    const long panel_bytes = (long)(W->K4 / 4) * 64;
    // Rows padded to K4 (lda ≥ K4) are read whole: the packed rows past K are zero, so
    // whatever the padding holds adds nothing, and no row needs the byte-wise tail.
    const int32_t kread = lda >= W->K4 ? W->K4 : W->K;
    int32_t tile[PITH_Q8_MR_MAX * PITH_Q8_NC] __attribute__((aligned(64)));
    int32_t init[PITH_Q8_NC];
#if defined(__x86_64__)
    // uint8 output on AVX-512 VNNI: the kernel call requantizes its own tile (requantize_tile).
    const int fused = out != NULL && path == PITH_Q8_AVX512VNNI && requant_vector_all(o, W->N);
    // Zero skipping (AVX-512 VNNI): a tile sums only the groups of 4 k that are not zero in
    // all its rows (image borders, ReLU zeros), where that leaves out at least 1/8 of them.
    // After the first column block, tiles are checked again only if one of them skipped.
    const int32_t full = kread / 4;
    int try_sparse = path == PITH_Q8_AVX512VNNI && full >= 16 && full <= PITH_Q8_LIST_MAX && zero_skipping_enabled(), sparse_tiles = 0;
    int32_t list[PITH_Q8_LIST_MAX + 16], single_list = 0;
#endif
    for (int32_t n0 = 0; n0 < W->NP; n0 += PITH_Q8_NC) {
        int np = (W->NP - n0) / 16 < 4 ? (W->NP - n0) / 16 : 4;
        int32_t nc = block_init(W, bias, a_zero, n0, np, init);
        const int8_t *B = W->data + (long)(n0 / 16) * panel_bytes;
        const int direct = out == NULL && nc == 16 * np;
        pith_q8_output shifted;
        if (out) {
            shifted = *o;
            shifted.mult = o->mult + n0;
            shifted.shift = o->shift + n0;
        }
#if defined(__x86_64__)
        if (path == PITH_Q8_AVX512VNNI) {
            for (int32_t m0 = 0; m0 < M; m0 += mr_max) {
                int mr = M - m0 < mr_max ? M - m0 : mr_max;
                const int32_t *use = NULL;
                int32_t nlist = 0;
                if (try_sparse) {
                    // One tile (M ≤ its height, batch 1): the list is the same for every
                    // column block, so it is found once.
                    if (n0 == 0 || M > mr_max) single_list = pith_q8_nonzero_groups(A + m0 * lda, lda, mr, full, list);
                    nlist = single_list;
                    if (nlist * 8 <= full * 7) { use = list; sparse_tiles++; }
                }
                if (fused) {
                    pith_q8_kernel_avx512vnni_ex(A + m0 * lda, lda, mr, B, panel_bytes, np, kread, init, NULL, use, nlist, NULL, 0,
                                                 &shifted, out + m0 * ldo + n0, ldo, nc);
                } else if (direct) {
                    pith_q8_kernel_avx512vnni_ex(A + m0 * lda, lda, mr, B, panel_bytes, np, kread, init, NULL, use, nlist,
                                                 acc + m0 * ldacc + n0, ldacc, NULL, NULL, 0, 0);
                } else {
                    pith_q8_kernel_avx512vnni_ex(A + m0 * lda, lda, mr, B, panel_bytes, np, kread, init, NULL, use, nlist,
                                                 tile, PITH_Q8_NC, NULL, NULL, 0, 0);
                    if (out) pith_q8_requantize_rows(tile, mr, nc, PITH_Q8_NC, &shifted, out + m0 * ldo + n0, ldo);
                    else for (int r = 0; r < mr; r++) memcpy(acc + (m0 + r) * ldacc + n0, tile + r * PITH_Q8_NC, nc * sizeof(int32_t));
                }
            }
            if (sparse_tiles == 0) try_sparse = 0;
            continue;
        }
#endif
        for (int32_t m0 = 0; m0 < M; m0 += mr_max) {
            int mr = M - m0 < mr_max ? M - m0 : mr_max;
            if (direct) {
                kernel(A + m0 * lda, lda, mr, B, panel_bytes, np, kread, init, acc + m0 * ldacc + n0, ldacc);
                continue;
            }
            kernel(A + m0 * lda, lda, mr, B, panel_bytes, np, kread, init, tile, PITH_Q8_NC);
            if (out) {
                pith_q8_requantize_rows(tile, mr, nc, PITH_Q8_NC, &shifted, out + m0 * ldo + n0, ldo);
                continue;
            }
            for (int r = 0; r < mr; r++) memcpy(acc + (m0 + r) * ldacc + n0, tile + r * PITH_Q8_NC, nc * sizeof(int32_t));
        }
    }
}

void pith_q8_conv_offsets(int32_t C, int32_t k, int32_t kw, int32_t Wp, int32_t *goff) {
    for (int32_t t = 0, g = 0; t < k * kw * C; t += 4, g++) {
        int32_t c = t % C, kx = (t / C) % kw, ky = t / (C * kw);
        goff[g] = (ky * Wp + kx) * C + c;
    }
}

void pith_q8_gather_patches(const uint8_t *padded, int32_t Wp, int32_t C, int32_t stride, int32_t OH, int32_t OW,
                            const int32_t *goff, int32_t groups, uint8_t *rows) {
    for (int32_t m = 0; m < OH * OW; m++) {
        const uint8_t *base = padded + ((long)(m / OW) * stride * Wp + (long)(m % OW) * stride) * C;
        uint8_t *dst = rows + (long)m * groups * 4;
        for (int32_t g = 0; g < groups; g++) memcpy(dst + 4 * g, base + goff[g], 4);
    }
}

int pith_q8_conv_u8(const uint8_t *padded, int32_t Wp, int32_t C, int32_t stride, int32_t OH, int32_t OW, const int32_t *goff,
                    int32_t row_groups, const pith_q8_packed *W, const pith_q8_output *o, uint8_t *out, long ldo, pith_q8_path path) {
    if (path == PITH_Q8_AUTO || !pith_q8_path_supported(path)) path = pith_q8_best_path();
#if defined(__x86_64__)
    if (path != PITH_Q8_AVX512VNNI || W->K % 4 != 0 || !requant_vector_all(o, W->N)) return 0;
    const long panel_bytes = (long)(W->K4 / 4) * 64;
    const int32_t M = OH * OW, full = W->K / 4;
    int32_t init[PITH_Q8_NC];
    // Zero skipping as in drive(), the groups found through the same offsets, one run of
    // row_groups contiguous groups per kernel row. The scan costs a pass per kernel row
    // and tile row, so it pays only where a tile sums many groups: C ≥ 32 (cnn-teacher's
    // conv2, after the runtime's channel reordering); PITH_Q8_ZERO_SKIP=conv scans all.
    const int skip = zero_skipping_enabled();
    int try_sparse = full >= 16 && full <= PITH_Q8_LIST_MAX && (skip == 2 || (skip == 1 && C >= 32)), sparse_tiles = 0;
    int32_t list[PITH_Q8_LIST_MAX + 16];
    for (int32_t n0 = 0; n0 < W->NP; n0 += PITH_Q8_NC) {
        int np = (W->NP - n0) / 16 < 4 ? (W->NP - n0) / 16 : 4;
        int32_t nc = block_init(W, o->bias, o->a_zero, n0, np, init);
        const int8_t *B = W->data + (long)(n0 / 16) * panel_bytes;
        pith_q8_output shifted = *o;
        shifted.mult = o->mult + n0;
        shifted.shift = o->shift + n0;
        pith_q8_indirect ind;
        ind.goff = goff;
        for (int32_t m0 = 0; m0 < M; m0 += 6) {
            int mr = M - m0 < 6 ? M - m0 : 6;
            for (int r = 0; r < mr; r++) {
                int32_t oy = (m0 + r) / OW, ox = (m0 + r) % OW;
                ind.rows[r] = padded + ((long)oy * stride * Wp + (long)ox * stride) * C;
            }
            const int32_t *use = NULL;
            int32_t nlist = 0;
            if (try_sparse) {
                nlist = pith_q8_nonzero_groups_indirect(&ind, mr, full, row_groups, list);
                if (nlist * 8 <= full * 7) { use = list; sparse_tiles++; }
            }
            pith_q8_kernel_avx512vnni_ex(NULL, 0, mr, B, panel_bytes, np, W->K, init, &ind, use, nlist, NULL, 0,
                                         &shifted, out + (long)m0 * ldo + n0, ldo, nc);
        }
        if (sparse_tiles == 0) try_sparse = 0;
    }
    return 1;
#else
    (void)padded; (void)Wp; (void)C; (void)stride; (void)OH; (void)OW; (void)goff; (void)row_groups; (void)W; (void)o; (void)out; (void)ldo;
    return 0;
#endif
}

void pith_q8_gemm_s32(const uint8_t *A, long lda, int32_t M, const pith_q8_packed *W,
                      const int32_t *bias, int32_t a_zero, int32_t *acc, long ldacc, pith_q8_path path) {
    drive(A, lda, M, W, bias, a_zero, acc, ldacc, NULL, NULL, 0, path);
}

void pith_q8_gemm_u8(const uint8_t *A, long lda, int32_t M, const pith_q8_packed *W,
                     const pith_q8_output *o, uint8_t *out, long ldo, pith_q8_path path) {
    drive(A, lda, M, W, o->bias, o->a_zero, NULL, 0, o, out, ldo, path);
}
