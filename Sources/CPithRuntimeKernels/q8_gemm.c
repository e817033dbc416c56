// int8 GEMM: the reference, the portable microkernel, the path choice and the driver that
// runs a path's microkernel over the output (packing: q8_pack.c; requantization:
// q8_requantize.c). See include/pith_q8_gemm.h for the math.
#include "q8_internal.h"
#include "include/pith_cpu_features.h"
#include <string.h>

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
    case PITH_Q8_AVX2: return pith_cpu_has_avx2();
    case PITH_Q8_AVXVNNI: return pith_cpu_has_avxvnni();
    case PITH_Q8_AVX512VNNI: return pith_cpu_has_avx512vnni();
    case PITH_Q8_NEON: return pith_cpu_has_neon();
#if defined(__ARM_FEATURE_DSP)
    case PITH_Q8_DSP: return 1;
#endif
    default: return 0;
    }
}

pith_q8_path pith_q8_best_path(void) {
    static int decided = -1;
    if (decided < 0) {
        pith_q8_path best = PITH_Q8_REFERENCE;
        const pith_q8_path order[] = {PITH_Q8_AVX512VNNI, PITH_Q8_AVXVNNI, PITH_Q8_AVX2, PITH_Q8_NEON, PITH_Q8_DSP};
        for (int i = 0; i < 5; i++) {
            if (pith_q8_path_supported(order[i])) { best = order[i]; break; }
        }
        const int force = pith_env_q8_path();  // PITH_Q8_PATH, where this CPU has it
        if (force && pith_q8_path_supported((pith_q8_path)force)) best = (pith_q8_path)force;
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
#if defined(__ARM_FEATURE_DSP)
    case PITH_Q8_DSP: *mr = 4; return pith_q8_kernel_dsp;
#endif
    default: *mr = 4; return pith_q8_kernel_portable;
    }
}

// MARK: driver

/// init = bias − za·colsum for the columns n0..n0 + 16·np (0 past N); returns the live count.
/// (Plain loops over local pointers: init cannot alias colsum, and they vectorize; at
/// batch 1 this runs once per 64 columns per call, as often as the microkernel.)
static int32_t block_init(const pith_q8_packed *W, const int32_t *bias, int32_t a_zero, int32_t n0, int np, int32_t *restrict init) {
    const int32_t nc = W->N - n0 < PITH_Q8_NC ? W->N - n0 : PITH_Q8_NC;
    const int32_t *restrict colsum = W->colsum + n0;
    if (bias) {
        const int32_t *restrict b = bias + n0;
        for (int32_t c = 0; c < nc; c++) init[c] = b[c] - a_zero * colsum[c];
    } else {
        for (int32_t c = 0; c < nc; c++) init[c] = -a_zero * colsum[c];
    }
    for (int32_t c = nc; c < 16 * np; c++) init[c] = 0;
    return nc;
}

void pith_q8_gemm_start(const pith_q8_packed *W, const int32_t *bias, int32_t a_zero, int32_t *restrict start) {
    const int32_t *restrict colsum = W->colsum;
    for (int32_t n = 0; n < W->N; n++) start[n] = (bias ? bias[n] : 0) - a_zero * colsum[n];
}

/// Runs the microkernel over (M, N) in tiles of mr × 64. Each column block starts from
/// init = bias − za·colsum. Accumulators go straight to `acc` where whole panels fit, else
/// through a tile; uint8 output is requantized from the tile row by row.
static void drive(const uint8_t *A, long lda, int32_t M, const pith_q8_packed *W, const int32_t *bias,
                  int32_t a_zero, const int32_t *start, int32_t *acc, long ldacc, const pith_q8_output *o, uint8_t *out, long ldo,
                  pith_q8_path path) {
    if (path == PITH_Q8_AUTO || !pith_q8_path_supported(path)) path = pith_q8_best_path();
    int mr_max;
    pith_q8_kernel kernel = kernel_for(path, &mr_max);
    const long panel_bytes = (long)(W->K4 / 4) * 64;
    // Rows padded to K4 (lda ≥ K4) are read whole: the packed rows past K are zero, so
    // whatever the padding holds adds nothing, and no row needs the byte-wise tail.
    const int32_t kread = lda >= W->K4 ? W->K4 : W->K;
    int32_t tile[PITH_Q8_MR_MAX * PITH_Q8_NC] __attribute__((aligned(64)));
    int32_t init_block[PITH_Q8_NC];
#if defined(__x86_64__)
    // uint8 output on AVX-512 VNNI: the kernel call requantizes its own tile (requantize_tile).
    const int fused = out != NULL && path == PITH_Q8_AVX512VNNI && pith_q8_requant_vector_all(o, W->N);
    // Zero skipping (AVX-512 VNNI): a tile sums only the groups of 4 k that are not zero in
    // all its rows (image borders, ReLU zeros), where that leaves out at least 1/8 of them.
    // After the first column block, tiles are checked again only if one of them skipped.
    const int32_t full = kread / 4;
    int try_sparse = path == PITH_Q8_AVX512VNNI && full >= 16 && full <= PITH_Q8_LIST_MAX && pith_env_q8_zero_skip(), sparse_tiles = 0;
    int32_t list[PITH_Q8_LIST_MAX + 16], single_list = 0;
#endif
    for (int32_t n0 = 0; n0 < W->NP; n0 += PITH_Q8_NC) {
        int np = (W->NP - n0) / 16 < 4 ? (W->NP - n0) / 16 : 4;
        // The columns' start: bias − za·colsum, or the caller's `start` (read in place
        // where the block's panels are whole).
        const int32_t *init = init_block;
        int32_t nc;
        if (start) {
            nc = W->N - n0 < PITH_Q8_NC ? W->N - n0 : PITH_Q8_NC;
            if (nc == 16 * np) init = start + n0;
            else for (int32_t c = 0; c < 16 * np; c++) init_block[c] = c < nc ? start[n0 + c] : 0;
        } else {
            nc = block_init(W, bias, a_zero, n0, np, init_block);
        }
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
            int32_t *to = direct ? acc + m0 * ldacc + n0 : tile;
            const long ldto = direct ? ldacc : PITH_Q8_NC;
#if defined(__ARM_FEATURE_DSP)
            // The DSP kernel skips the block's columns past the live ones (N not a multiple of 16).
            if (path == PITH_Q8_DSP) pith_q8_kernel_dsp_live(A + m0 * lda, lda, mr, B, panel_bytes, np, kread, init, to, ldto, nc);
            else
#endif
                kernel(A + m0 * lda, lda, mr, B, panel_bytes, np, kread, init, to, ldto);
            if (direct) continue;
            if (out) {
                pith_q8_requantize_rows(tile, mr, nc, PITH_Q8_NC, &shifted, out + m0 * ldo + n0, ldo);
                continue;
            }
            for (int r = 0; r < mr; r++) memcpy(acc + (m0 + r) * ldacc + n0, tile + r * PITH_Q8_NC, nc * sizeof(int32_t));
        }
    }
}


int pith_q8_conv_u8(const uint8_t *padded, int32_t Wp, int32_t C, int32_t stride, int32_t OH, int32_t OW, const int32_t *goff,
                    int32_t row_groups, const pith_q8_packed *W, const pith_q8_output *o, uint8_t *out, long ldo, pith_q8_path path) {
    if (path == PITH_Q8_AUTO || !pith_q8_path_supported(path)) path = pith_q8_best_path();
#if defined(__x86_64__)
    if (path != PITH_Q8_AVX512VNNI || W->K % 4 != 0 || !pith_q8_requant_vector_all(o, W->N)) return 0;
    const long panel_bytes = (long)(W->K4 / 4) * 64;
    const int32_t M = OH * OW, full = W->K / 4;
    int32_t init[PITH_Q8_NC];
    // Zero skipping as in drive(), the groups found through the same offsets, one run of
    // row_groups contiguous groups per kernel row. The scan costs a pass per kernel row
    // and tile row, so it pays only where a tile sums many groups: C ≥ 32 (cnn-teacher's
    // conv2, after the runtime's channel reordering); PITH_Q8_ZERO_SKIP=conv scans all.
    const int skip = pith_env_q8_zero_skip();
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
    drive(A, lda, M, W, bias, a_zero, NULL, acc, ldacc, NULL, NULL, 0, path);
}

void pith_q8_gemm_s32_start(const uint8_t *A, long lda, int32_t M, const pith_q8_packed *W, const int32_t *start,
                            int32_t *acc, long ldacc, pith_q8_path path) {
    drive(A, lda, M, W, NULL, 0, start, acc, ldacc, NULL, NULL, 0, path);
}

void pith_q8_gemm_u8(const uint8_t *A, long lda, int32_t M, const pith_q8_packed *W,
                     const pith_q8_output *o, uint8_t *out, long ldo, pith_q8_path path) {
    drive(A, lda, M, W, o->bias, o->a_zero, NULL, NULL, 0, o, out, ldo, path);
}

void pith_q8_gemm_u8_start(const uint8_t *A, long lda, int32_t M, const pith_q8_packed *W, const int32_t *start,
                           const pith_q8_output *o, uint8_t *out, long ldo, pith_q8_path path) {
    drive(A, lda, M, W, NULL, o->a_zero, start, NULL, 0, o, out, ldo, path);
}
