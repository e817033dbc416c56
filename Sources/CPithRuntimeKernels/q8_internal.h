// Shared between the int8 GEMM driver, its requantization and its per-instruction-set
// microkernels.
#ifndef PITH_Q8_INTERNAL_H
#define PITH_Q8_INTERNAL_H
#include "include/pith_q8_gemm.h"

/// Columns a microkernel call covers at most (4 panels of 16).
#define PITH_Q8_NC 64
/// Rows of the largest microkernel (the tile buffer's height).
#define PITH_Q8_MR_MAX 8
/// The most groups of 4 k a tile's zero-skipping list holds (K ≤ 8192; larger K: no skipping).
#define PITH_Q8_LIST_MAX 2048

/// A microkernel: C[r][c] = init[c] + Σ_k A[r][k]·W[c][k] for r < mr, c < 16·np, over
/// all K, reading np packed panels starting at B (panel_bytes apart); C rows ldc apart.
typedef void (*pith_q8_kernel)(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes,
                               int np, int32_t K, const int32_t *init, int32_t *C, long ldc);

/// Four bytes of A starting at k = 4g, zero-filled past K (read byte by byte at the tail
/// so nothing past the row is touched).
static inline int32_t pith_q8_load_a4(const uint8_t *a, int32_t g, int32_t K) {
    int32_t v = 0;
    int32_t k = 4 * g;
    if (k + 4 <= K) {
        __builtin_memcpy(&v, a + k, 4);
    } else {
        uint8_t b[4] = {0, 0, 0, 0};
        for (int32_t t = 0; k + t < K; t++) b[t] = a[k + t];
        __builtin_memcpy(&v, b, 4);
    }
    return v;
}

void pith_q8_kernel_avx512vnni(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes, int np, int32_t K, const int32_t *init, int32_t *C, long ldc);
/// Rows of A read in place (a convolution's implicit GEMM): row r's group g is the 4 bytes
/// at rows[r] + goff[g].
typedef struct {
    const uint8_t *rows[PITH_Q8_MR_MAX];
    const int32_t *goff;
} pith_q8_indirect;

/// The AVX-512 VNNI microkernel with options: with `ind`, A's rows are read through it
/// (K a multiple of 4); with `list`, only the nlist groups of 4 k it
/// names (pith_q8_nonzero_groups) are summed; with `out`, the tile is requantized in
/// registers: out[r][c] = clamp(out_zero + MBQM(init[c] + Σ_k A[r][k]·W[c][k]), out_min,
/// out_max) for c < nc, o->mult and o->shift starting at the block's first column (right
/// shifts and multipliers other than INT32_MIN only: the driver checks with
/// pith_q8_requant_vector_all); else C.
void pith_q8_kernel_avx512vnni_ex(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes, int np, int32_t K,
                                  const int32_t *init, const pith_q8_indirect *ind, const int32_t *list, int32_t nlist,
                                  int32_t *C, long ldc, const pith_q8_output *o, uint8_t *out, long ldo, int nc);
/// The groups g < groups (4 bytes at A + r·lda + 4g) that are not zero in every one of the
/// mr rows, in order, into list (groups + 16 entries of room); returns how many.
int32_t pith_q8_nonzero_groups(const uint8_t *A, long lda, int mr, int32_t groups, int32_t *list);
/// The same for rows read through `ind`, whose groups come in runs of run_groups
/// contiguous ones (a convolution's C/4 channel groups at one kernel position).
int32_t pith_q8_nonzero_groups_indirect(const pith_q8_indirect *ind, int mr, int32_t groups, int32_t run_groups, int32_t *list);
void pith_q8_kernel_avxvnni(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes, int np, int32_t K, const int32_t *init, int32_t *C, long ldc);
void pith_q8_kernel_avx2(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes, int np, int32_t K, const int32_t *init, int32_t *C, long ldc);
/// The requantization on the ARMv7E-M DSP extension (q8_requantize_dsp.c), bit for bit
/// pith_q8_requantize_reference row by row.
void pith_q8_requantize_rows_dsp(const int32_t *acc, int32_t rows, int32_t N, long ldacc, const pith_q8_output *o, uint8_t *out, long ldo);
void pith_q8_kernel_dsp(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes, int np, int32_t K, const int32_t *init, int32_t *C, long ldc);
/// The same computing only the first `live` columns of the 16·np (the rest of C is left as
/// it was): a block of a layer whose N is not a multiple of 16.
void pith_q8_kernel_dsp_live(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes, int np, int32_t K,
                             const int32_t *init, int32_t *C, long ldc, int32_t live);
void pith_q8_kernel_neon(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes, int np, int32_t K, const int32_t *init, int32_t *C, long ldc);
/// Whether every one of the N channels can take the AVX-512 requantization (right shifts
/// only, no INT32_MIN multiplier, and the AVX-512 paths in use), and so the AVX-512 VNNI
/// microkernel's own epilogue; 0 off x86-64 (q8_requantize.c).
int pith_q8_requant_vector_all(const pith_q8_output *o, int32_t N);
/// Portable microkernel on packed data (the fallback path where no SIMD path exists).
void pith_q8_kernel_portable(const uint8_t *A, long lda, int mr, const int8_t *B, long panel_bytes, int np, int32_t K, const int32_t *init, int32_t *C, long ldc);

#endif
