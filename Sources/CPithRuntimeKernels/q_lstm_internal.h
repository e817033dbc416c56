// Shared between the integer LSTM's reference (q_lstm.c) and its fast path (q_lstm_run.c).
#ifndef PITH_Q_LSTM_INTERNAL_H
#define PITH_Q_LSTM_INTERNAL_H
#include "include/pith_q_lstm.h"

/// Gate row r's pre-activation: sat16(MBQM(ax, Mx[r]) + MBQM(ah, Mh[r])), the sum exact.
int16_t pith_q_lstm_gate(const pith_q_lstm *p, int32_t r, int32_t ax, int32_t ah);

/// One sample's cell update from its 4H gate pre-activations [i | f | g | o]: the cell c
/// (H int16) and h (H uint8) in place, as the header's equations.
void pith_q_lstm_cell(const pith_q_lstm *p, const int16_t *gate, int16_t *c, uint8_t *h);

#if defined(__x86_64__)
/// The same for `chunk` samples from their accumulators on AVX-512: ax rows (4H int32)
/// ldax apart, ah rows 4H apart (ah NULL: all 0), c rows H apart, h rows ldh apart.
void pith_q_lstm_cells_avx512(const pith_q_lstm *p, const int32_t *ax, long ldax, const int32_t *ah, int32_t chunk, int16_t *c,
                              uint8_t *h, long ldh);
#endif
#endif
