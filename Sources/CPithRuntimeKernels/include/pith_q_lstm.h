// The integer LSTM (docs/quantization.md, "Integer LSTM"; op LSTM in docs/FORMAT.md).
//
// Codes: x_t uint8 (scale s_x, zero z_x); h_t uint8 (s_h, z_h); weights int8, symmetric
// per gate row r (W: s_w[r], U: s_u[r]); bias int32 in units of s_x·s_w[r]; the cell
// state c int16 in units of 2^-cell_shift; gate pre-activations int16 Q3.12 (units
// 2^-12, ±8); gate activations int16 Q0.15 (units 2^-15). MBQM is gemmlowp's
// MultiplyByQuantizedMultiplier (pith_q8_multiply_by_quantized_multiplier). Per step:
//
//   z[r]  = sat16(MBQM(b[r] + Σ_i W[r,i](x_i − z_x), Mx[r]) + MBQM(Σ_j U[r,j](h_j − z_h), Mh[r]))
//           Mx[r] = s_x·s_w[r]·2^12,  Mh[r] = s_h·s_u[r]·2^12
//   i, f, o = σ(z_i, z_f, z_o),  g = tanh(z_g)          (tables, Q3.12 → Q0.15)
//   c     = sat16(rshift(f·c, 15) + rshift(i·g, 30 − cell_shift))
//   h     = clamp(z_h + MBQM(o · tanh(q12(c)), Mo), 0, 255)   Mo = 2^-30 / s_h
//
// rshift(v, s) = (v + 2^(s−1)) >> s (arithmetic); q12(c) brings c to Q3.12 (a rounding
// right shift, or a saturating left shift). σ and tanh: the 513-entry tables at
// x = −8 + k/32, linearly interpolated: u = z + 32768, k = u >> 7, t = u & 127,
// y = T[k] + ((T[k+1] − T[k])·t + 64) >> 7.
#ifndef PITH_Q_LSTM_H
#define PITH_Q_LSTM_H
#include "pith_q8_gemm.h"
#include <stddef.h>
#include <stdint.h>

extern const int16_t pith_q_sigmoid_table[513];
extern const int16_t pith_q_tanh_table[513];
/// T[k+1] − T[k] of each table, k = 0 ... 511.
extern const int16_t pith_q_sigmoid_step[512];
extern const int16_t pith_q_tanh_step[512];

typedef struct {
    int32_t steps, features, hidden;     // T, F, H
    const int8_t *w;                     // (4H, F), gates [i | f | g | o]
    const int8_t *u;                     // (4H, H)
    const int32_t *bias;                 // (4H), units s_x·s_w[r]
    const int32_t *x_mult, *x_shift;     // (4H): Mx
    const int32_t *h_mult, *h_shift;     // (4H): Mh
    int32_t out_mult, out_shift;         // Mo
    int32_t x_zero, h_zero;
    int32_t cell_shift;                  // 0 ... 15
    int32_t sequence;                    // 1: every h_t, (T, H) per sample; 0: the last, (H)
    const pith_q8_packed *w_packed;      // W and U packed (pith_q8_pack) for pith_q_lstm_run;
    const pith_q8_packed *u_packed;      // NULL where only the reference runs
} pith_q_lstm;

/// σ(z) and tanh(z) of a Q3.12 value, in Q0.15 (the tables, interpolated).
int32_t pith_q_sigmoid(int32_t z);
int32_t pith_q_tanh(int32_t z);

/// Bytes of scratch one call needs: the gates (4H int16), the cell (H int16), h (H).
size_t pith_q_lstm_scratch_bytes(int32_t hidden);

/// `batch` sequences x (batch, T, F) → y (batch, T, H) or (batch, H). The reference: one
/// plain loop per product, in the order the header's equations are written.
void pith_q_lstm_reference(const pith_q_lstm *p, const uint8_t *x, uint8_t *y, int32_t batch, void *scratch);

/// Samples pith_q_lstm_run steps together (the rows of its GEMMs).
#define PITH_Q_LSTM_CHUNK 16

/// Bytes of scratch pith_q_lstm_run needs, whatever the batch (64-byte aligned scratch):
/// the columns' starts (2 × 4H int32), x's accumulators (32 rows of 4H int32), h's (a
/// chunk's), one sample's gates (4H int16), the chunk's cells (int16) and h (H rounded up
/// to 4 bytes each); about 150·H + 512 bytes.
size_t pith_q_lstm_run_scratch_bytes(int32_t hidden);

/// The fast path, bit-identical to the reference: the batch in chunks of
/// PITH_Q_LSTM_CHUNK samples; the int8 GEMMs on `path` (pith_q8_gemm_s32_start on the
/// packed W and U, the columns' starts computed once a call): x's product read in place,
/// with at most 5 samples for up to 32 (sample, step) rows at once (each sample's steps
/// contiguous), else one step of the chunk; h's product per step over the chunk (the
/// first step's is 0, not computed); then the cell update on 32 units at a time
/// (AVX-512: the multipliers as pith_q8_requantize's, σ and tanh of 32 words by vpermi2w
/// from the tables' starts and steps in registers, no gathers) where the path is AVX-512
/// VNNI and every multiplier shifts right, else one unit at a time. Needs w_packed and
/// u_packed.
void pith_q_lstm_run(const pith_q_lstm *p, const uint8_t *x, uint8_t *y, int32_t batch, void *scratch, pith_q8_path path);
#endif
