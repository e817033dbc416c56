// The integer LSTM, its reference loops (see include/pith_q_lstm.h for the math).
#include "q_lstm_internal.h"
#include "include/pith_q8_gemm.h"
#include <string.h>

static int32_t saturate16(int32_t v) { return v < -32768 ? -32768 : v > 32767 ? 32767 : v; }

/// (v + 2^(s−1)) >> s for s ≥ 1, v itself for s = 0.
static int32_t rounding_shift(int32_t v, int32_t s) { return s > 0 ? (int32_t)(((int64_t)v + ((int64_t)1 << (s - 1))) >> s) : v; }

static int32_t interpolate(const int16_t *table, int32_t z) {
    int32_t u = z + 32768, k = u >> 7, t = u & 127;
    int32_t a = table[k], b = table[k + 1];
    return a + (((b - a) * t + 64) >> 7);
}

int32_t pith_q_sigmoid(int32_t z) { return interpolate(pith_q_sigmoid_table, saturate16(z)); }
int32_t pith_q_tanh(int32_t z) { return interpolate(pith_q_tanh_table, saturate16(z)); }

size_t pith_q_lstm_scratch_bytes(int32_t hidden) { return (size_t)hidden * (4 * 2 + 2 + 1) + 64; }

/// c (units 2^-cell_shift) in Q3.12.
static int32_t to_q12(int32_t c, int32_t cell_shift) {
    if (cell_shift >= 12) return rounding_shift(c, cell_shift - 12);
    return saturate16(c * (1 << (12 - cell_shift)));
}

int16_t pith_q_lstm_gate(const pith_q_lstm *p, int32_t r, int32_t ax, int32_t ah) {
    // The two products' sum, exact (each may reach ±2³¹), then saturated.
    int64_t z = (int64_t)pith_q8_multiply_by_quantized_multiplier(ax, p->x_mult[r], p->x_shift[r])
              + pith_q8_multiply_by_quantized_multiplier(ah, p->h_mult[r], p->h_shift[r]);
    return (int16_t)(z < -32768 ? -32768 : z > 32767 ? 32767 : z);
}

void pith_q_lstm_cell(const pith_q_lstm *p, const int16_t *gate, int16_t *c, uint8_t *h) {
    const int32_t H = p->hidden;
    for (int32_t j = 0; j < H; j++) {
        int32_t ig = pith_q_sigmoid(gate[j]), fg = pith_q_sigmoid(gate[H + j]);
        int32_t gg = pith_q_tanh(gate[2 * H + j]), og = pith_q_sigmoid(gate[3 * H + j]);
        int32_t cv = rounding_shift(fg * c[j], 15) + rounding_shift(ig * gg, 30 - p->cell_shift);
        c[j] = (int16_t)saturate16(cv);
        int32_t tc = pith_q_tanh(to_q12(c[j], p->cell_shift));
        int32_t hv = p->h_zero + pith_q8_multiply_by_quantized_multiplier(og * tc, p->out_mult, p->out_shift);
        h[j] = (uint8_t)(hv < 0 ? 0 : hv > 255 ? 255 : hv);
    }
}

void pith_q_lstm_reference(const pith_q_lstm *p, const uint8_t *x, uint8_t *y, int32_t batch, void *scratch) {
    const int32_t T = p->steps, F = p->features, H = p->hidden, rows = 4 * H;
    int16_t *gate = (int16_t *)scratch, *c = gate + rows;
    uint8_t *h = (uint8_t *)(c + H);
    for (int32_t b = 0; b < batch; b++) {
        memset(c, 0, sizeof(int16_t) * (size_t)H);
        memset(h, p->h_zero, (size_t)H);
        for (int32_t t = 0; t < T; t++) {
            const uint8_t *xt = x + ((size_t)b * T + t) * F;
            for (int32_t r = 0; r < rows; r++) {
                int32_t ax = p->bias ? p->bias[r] : 0, ah = 0;
                for (int32_t i = 0; i < F; i++) ax += ((int32_t)xt[i] - p->x_zero) * p->w[(size_t)r * F + i];
                for (int32_t j = 0; j < H; j++) ah += ((int32_t)h[j] - p->h_zero) * p->u[(size_t)r * H + j];
                gate[r] = pith_q_lstm_gate(p, r, ax, ah);
            }
            pith_q_lstm_cell(p, gate, c, h);
            if (p->sequence) memcpy(y + ((size_t)b * T + t) * H, h, (size_t)H);
        }
        if (!p->sequence) memcpy(y + (size_t)b * H, h, (size_t)H);
    }
}
