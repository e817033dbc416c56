// The integer LSTM's fast path: chunks of samples, int8 GEMMs for x_t and h, then the
// cell update (see include/pith_q_lstm.h; the reference is q_lstm.c).
#include "q_lstm_internal.h"
#include <string.h>

/// Rows the x accumulators hold: (sample, step) pairs of one block of steps.
#define X_ROWS 32

static size_t round64(size_t n) { return (n + 63) & ~(size_t)63; }

/// The scratch's parts: the columns' starts (bias − z_x·Σ W, −z_h·Σ U), accumulators of x
/// (X_ROWS rows of 4H int32) and of h (a chunk's), one sample's gates (4H int16, the
/// scalar cell), the chunk's cells and h.
typedef struct {
    int32_t *start_x, *start_h, *ax, *ah;
    int16_t *gate, *c;
    uint8_t *h;
    long ldh;  // H rounded up to 4: the GEMM then reads every h row whole
} lstm_scratch;

static size_t part_bytes(int32_t H, int part) {
    const size_t h = (size_t)H;
    switch (part) {
    case 0: case 1: return round64(4 * h * sizeof(int32_t));
    case 2: return round64(X_ROWS * 4 * h * sizeof(int32_t));
    case 3: return round64(PITH_Q_LSTM_CHUNK * 4 * h * sizeof(int32_t));
    case 4: return round64(4 * h * sizeof(int16_t));
    case 5: return round64(PITH_Q_LSTM_CHUNK * h * sizeof(int16_t));
    default: return round64(PITH_Q_LSTM_CHUNK * ((h + 3) / 4 * 4));
    }
}

size_t pith_q_lstm_run_scratch_bytes(int32_t hidden) {
    size_t total = 0;
    for (int part = 0; part < 7; part++) total += part_bytes(hidden, part);
    return total;
}

static lstm_scratch carve(void *scratch, int32_t H) {
    char *at[7];
    at[0] = (char *)scratch;
    for (int part = 1; part < 7; part++) at[part] = at[part - 1] + part_bytes(H, part - 1);
    lstm_scratch s = {(int32_t *)at[0], (int32_t *)at[1], (int32_t *)at[2], (int32_t *)at[3],
                      (int16_t *)at[4], (int16_t *)at[5], (uint8_t *)at[6], (H + 3) / 4 * 4};
    return s;
}

#if defined(__x86_64__)
/// Whether the AVX-512 cell update can take every multiplier: right shifts only, none
/// INT32_MIN (pith_rq16_apply's domain).
static int vector_cells(const pith_q_lstm *p) {
    if (p->out_shift > 0 || p->out_mult == INT32_MIN) return 0;
    for (int32_t r = 0; r < 4 * p->hidden; r++) {
        if (p->x_shift[r] > 0 || p->h_shift[r] > 0 || p->x_mult[r] == INT32_MIN || p->h_mult[r] == INT32_MIN) return 0;
    }
    return 1;
}
#endif

void pith_q_lstm_run(const pith_q_lstm *p, const uint8_t *x, uint8_t *y, int32_t batch, void *scratch, pith_q8_path path) {
    const int32_t T = p->steps, F = p->features, H = p->hidden, rows = 4 * H;
    if (path == PITH_Q8_AUTO || !pith_q8_path_supported(path)) path = pith_q8_best_path();
#if defined(__x86_64__)
    const int vector = path == PITH_Q8_AVX512VNNI && vector_cells(p);
#endif
    lstm_scratch s = carve(scratch, H);
    pith_q8_gemm_start(p->w_packed, p->bias, p->x_zero, s.start_x);
    pith_q8_gemm_start(p->u_packed, NULL, p->h_zero, s.start_h);
    for (int32_t b0 = 0; b0 < batch; b0 += PITH_Q_LSTM_CHUNK) {
        const int32_t n = batch - b0 < PITH_Q_LSTM_CHUNK ? batch - b0 : PITH_Q_LSTM_CHUNK;
        // x's product for a block of steps: with few samples, each sample's steps
        // together (its rows contiguous, F apart: fuller GEMM tiles); with many, one step
        // of all the chunk's samples (rows T·F apart).
        const int32_t block = n <= 5 ? (T < X_ROWS / n ? T : X_ROWS / n) : 1;
        memset(s.c, 0, sizeof(int16_t) * (size_t)n * (size_t)H);
        memset(s.h, p->h_zero, (size_t)n * (size_t)s.ldh);
        for (int32_t t = 0; t < T; t++) {
            const int32_t t0 = t / block * block, steps = T - t0 < block ? T - t0 : block;
            if (t == t0) {
                if (block == 1) {
                    pith_q8_gemm_s32_start(x + ((size_t)b0 * T + t) * F, (long)T * F, n, p->w_packed, s.start_x, s.ax, rows, path);
                } else {
                    for (int32_t b = 0; b < n; b++) {
                        pith_q8_gemm_s32_start(x + ((size_t)(b0 + b) * T + t0) * F, F, steps, p->w_packed, s.start_x,
                                               s.ax + (size_t)b * block * rows, rows, path);
                    }
                }
            }
            // Sample b's row of x_t's product, and the distance between samples' rows.
            const int32_t *ax = s.ax + (size_t)(t - t0) * rows;
            const long ldax = (long)block * rows;
            // h's product (at t = 0 every h is z_h: 0, not computed).
            if (t > 0) pith_q8_gemm_s32_start(s.h, s.ldh, n, p->u_packed, s.start_h, s.ah, rows, path);
#if defined(__x86_64__)
            if (vector) {
                pith_q_lstm_cells_avx512(p, ax, ldax, t > 0 ? s.ah : NULL, n, s.c, s.h, s.ldh);
            } else
#endif
            {
                for (int32_t b = 0; b < n; b++) {
                    const int32_t *axb = ax + (size_t)b * ldax, *ahb = s.ah + (size_t)b * rows;
                    for (int32_t r = 0; r < rows; r++) s.gate[r] = pith_q_lstm_gate(p, r, axb[r], t > 0 ? ahb[r] : 0);
                    pith_q_lstm_cell(p, s.gate, s.c + (size_t)b * H, s.h + (size_t)b * s.ldh);
                }
            }
            if (p->sequence) {
                for (int32_t b = 0; b < n; b++) memcpy(y + ((size_t)(b0 + b) * T + t) * H, s.h + (size_t)b * s.ldh, (size_t)H);
            }
        }
        if (!p->sequence) {
            for (int32_t b = 0; b < n; b++) memcpy(y + (size_t)(b0 + b) * H, s.h + (size_t)b * s.ldh, (size_t)H);
        }
    }
}
