// int8 GEMM for inference: uint8 activations × int8 weights → int32, then requantized.
//
// Math. A: (M, K) uint8 with zero point za; W: (N, K) int8, zero point 0 (symmetric,
// per output channel), as a Dense layer stores it (out, in). For every m, n:
//     acc[m][n] = Σ_k A[m][k]·W[n][k] − za·colsum[n] + bias[n],   colsum[n] = Σ_k W[n][k]
// which equals Σ_k (A[m][k] − za)·W[n][k] + bias[n] exactly (int32; |acc| < 2³¹ for
// K < 2¹⁶). Requantization (gemmlowp/TFLite): y = clamp(zy + MBQM(acc, mult[n], shift[n]),
// lo, hi) with MBQM the fixed-point multiply of pith_q8_multiply_by_quantized_multiplier.
//
// Paths: a scalar reference on unpacked W (the definition), AVX-512 VNNI (vpdpbusd on
// zmm), AVX-VNNI (vpdpbusd on ymm), AVX2 (exact: bytes widened to int16 and vpmaddwd,
// never the saturating vpmaddubsw), NEON (arm64) and the ARMv7E-M DSP extension (SMLAD:
// Cortex-M4/M7). The fast paths read W packed once
// (pith_q8_pack): columns in panels of 16, k in groups of 4, so one 64-byte load holds
// 4 k-values of 16 columns — the operand vpdpbusd wants. All paths give bit-identical
// results; PITH_Q8_PATH=reference|avx2|avxvnni|avx512vnni|neon|dsp forces one.
//
// Zero skipping (AVX-512 VNNI): a tile of rows sums only the groups of 4 k that are not
// zero in all its rows (a zero group adds nothing, so the result is the same), where at
// least 1/8 of the groups drop out. PITH_Q8_ZERO_SKIP=0 turns it off, =conv extends it to
// every implicit-GEMM convolution (by default those with C ≥ 32), for measurements.
#ifndef PITH_Q8_GEMM_H
#define PITH_Q8_GEMM_H
#include <stddef.h>
#include <stdint.h>

typedef enum {
    PITH_Q8_AUTO = 0,
    PITH_Q8_REFERENCE = 1,
    PITH_Q8_AVX2 = 2,
    PITH_Q8_AVXVNNI = 3,
    PITH_Q8_AVX512VNNI = 4,
    PITH_Q8_NEON = 5,
    PITH_Q8_DSP = 6,
} pith_q8_path;

/// W packed for the fast paths. data: (NP/16) panels × (K4/4) groups × 64 bytes, 64-byte
/// aligned; byte [p][g][4c + t] = W[16p + c][4g + t] (0 beyond N or K).
typedef struct {
    int32_t K, N;   // logical sizes
    int32_t K4, NP; // K rounded up to 4, N rounded up to 16
    int8_t *data;
    int32_t *colsum; // N: Σ_k W[n][k]
} pith_q8_packed;

/// Bytes pith_q8_pack needs for data (a multiple of 64).
size_t pith_q8_packed_bytes(int32_t K, int32_t N);

/// Packs W (N, K) row-major into p->data (pith_q8_packed_bytes, 64-byte aligned) and
/// p->colsum (N int32), both owned by the caller.
void pith_q8_pack(const int8_t *W, int32_t N, int32_t K, pith_q8_packed *p);

/// Output stage. mult/shift per channel (N entries); bias may be NULL.
typedef struct {
    int32_t a_zero;         // za, 0...255
    const int32_t *bias;    // N or NULL
    const int32_t *mult;    // N: Q31 multipliers in [2³⁰, 2³¹) (or 0)
    const int32_t *shift;   // N: exponents; > 0 shifts left, < 0 rounds right
    int32_t out_zero;       // zy
    int32_t out_min, out_max; // clamp, within 0...255 (ReLU: out_min = zy)
} pith_q8_output;

/// gemmlowp's MultiplyByQuantizedMultiplier: x·2^shift·mult/2³¹ with round-half-away
/// (SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT). Exact, integer only.
int32_t pith_q8_multiply_by_quantized_multiplier(int32_t x, int32_t mult, int32_t shift);

/// Splits a real multiplier 0 < m < 2³¹ into (mult, shift) as TFLite's QuantizeMultiplier.
void pith_q8_quantize_multiplier(double m, int32_t *mult, int32_t *shift);

/// The reference: unpacked W (N, K). acc (M, N) int32 when out_u8 is NULL, else uint8
/// outputs through `out`. lda, ldc in elements.
void pith_q8_gemm_reference(const uint8_t *A, long lda, int32_t M, const int8_t *W, int32_t N, int32_t K,
                            const int32_t *bias, int32_t a_zero, int32_t *acc, long ldacc);

/// acc = Σ A·W − za·colsum + bias on packed W, path chosen (PITH_Q8_AUTO: the best the CPU
/// has, unless PITH_Q8_PATH says otherwise). acc: (M, N), ldacc in elements.
void pith_q8_gemm_s32(const uint8_t *A, long lda, int32_t M, const pith_q8_packed *W,
                      const int32_t *bias, int32_t a_zero, int32_t *acc, long ldacc, pith_q8_path path);

/// The same with each column's start given: acc = Σ A·W + start[n], start (N) =
/// bias[n] − za·colsum[n] computed once by the caller (pith_q8_gemm_start), where the same
/// W runs many times (the LSTM's steps).
void pith_q8_gemm_s32_start(const uint8_t *A, long lda, int32_t M, const pith_q8_packed *W, const int32_t *start,
                            int32_t *acc, long ldacc, pith_q8_path path);
/// start[n] = bias[n] − za·colsum[n] (bias NULL: 0), n < N.
void pith_q8_gemm_start(const pith_q8_packed *W, const int32_t *bias, int32_t a_zero, int32_t *start);

/// The same, requantized to uint8: out (M, N), ldo in elements. With lda ≥ K rounded up
/// to 4, every row is read to that length (its padding bytes may hold anything).
void pith_q8_gemm_u8(const uint8_t *A, long lda, int32_t M, const pith_q8_packed *W,
                     const pith_q8_output *o, uint8_t *out, long ldo, pith_q8_path path);
/// The same from the columns' starts (pith_q8_gemm_start of o->bias and o->a_zero, computed
/// once by the caller); o->bias is not read.
void pith_q8_gemm_u8_start(const uint8_t *A, long lda, int32_t M, const pith_q8_packed *W, const int32_t *start,
                           const pith_q8_output *o, uint8_t *out, long ldo, pith_q8_path path);

/// Requantizes one row of accumulators: the scalar reference, and the dispatching entry
/// (AVX-512 where the CPU has it, bit-identical; PITH_KERNELS=generic forces the reference).
void pith_q8_requantize_reference(const int32_t *acc, int32_t N, const pith_q8_output *o, uint8_t *out);
void pith_q8_requantize(const int32_t *acc, int32_t N, const pith_q8_output *o, uint8_t *out);
int pith_q8_requantize_uses_avx512(void);
/// `rows` rows of N accumulators (ldacc apart) to rows of N bytes (ldo apart).
void pith_q8_requantize_rows(const int32_t *acc, int32_t rows, int32_t N, long ldacc, const pith_q8_output *o,
                             uint8_t *out, long ldo);

/// A convolution as an implicit GEMM, read in place from a padded channels-last input
/// (Hp, Wp, C): output pixel m = (oy, ox) of (OH, OW) takes group g of its patch (4 bytes)
/// at padded + (oy·stride·Wp + ox·stride)·C + goff[g] — the rows im2row would build, never
/// copied. W is packed from (F, k, kw, C) weights (kw ≥ k kernel columns, zero past k,
/// so that k·kw·C is a multiple of 4); goff holds the k·kw·C/4 offsets of
/// pith_q8_conv_offsets, row_groups = kw·C/4 of them per kernel row (contiguous). Output as
/// pith_q8_gemm_u8 (out: (OH·OW, N), ldo apart). Runs on AVX-512 VNNI with the vector
/// requantization; returns 0 (and does nothing) elsewhere, where the caller gathers the
/// patches (pith_q8_gather_patches) and runs pith_q8_gemm_u8 instead.
int pith_q8_conv_u8(const uint8_t *padded, int32_t Wp, int32_t C, int32_t stride, int32_t OH, int32_t OW, const int32_t *goff,
                    int32_t row_groups, const pith_q8_packed *W, const pith_q8_output *o, uint8_t *out, long ldo, pith_q8_path path);
/// goff[g] = (ky·Wp + kx)·C + c for k index 4g = (ky·kw + kx)·C + c, over k kernel rows of
/// kw positions.
void pith_q8_conv_offsets(int32_t C, int32_t k, int32_t kw, int32_t Wp, int32_t *goff);
/// The patch rows pith_q8_conv_u8 reads in place, copied: rows[m] = groups·4 bytes.
void pith_q8_gather_patches(const uint8_t *padded, int32_t Wp, int32_t C, int32_t stride, int32_t OH, int32_t OW,
                            const int32_t *goff, int32_t groups, uint8_t *rows);

/// The path PITH_Q8_AUTO resolves to here (after PITH_Q8_PATH), and whether `path` runs
/// on this CPU.
pith_q8_path pith_q8_best_path(void);
int pith_q8_path_supported(pith_q8_path path);

/// Peak probe: `iterations` rounds of 24 independent vpdpbusd on zmm registers (no
/// memory operands); returns a value that depends on every result. 0 where the CPU
/// lacks AVX-512 VNNI. Multiply-adds done: iterations × 24 × 64.
int32_t pith_q8_vnni_peak_probe(long iterations);

#endif
