// ARMv7E-M twin of the requantization (q8_requantize.c), bit for bit the reference:
// y = clamp(zy + RDBP(SRDHM(x, mult), −shift), lo, hi), without the 64-bit shifts and
// divisions the reference's definition compiles to on a 32-bit core (library calls there).
//
// SRDHM(x, m), gemmlowp's (x·m·2 + 2³¹ rounding) >> 32 with its nudge of 2³⁰ (x·m ≥ 0) or
// 1 − 2³⁰ (x·m < 0) and a division that truncates toward zero, rounds x·m / 2³¹ half up in
// both cases, so it equals ⌊(x·m + 2³⁰) / 2³¹⌋: one SMLAL into {0, 2³⁰} and the 64-bit
// result's bits 31...62 (it fits 32 bits: |x·m| < 2⁶²). The one overflow of gemmlowp's,
// x = m = INT32_MIN, is the reference's to handle: such a multiplier goes there. RDBP(v, e), x / 2^e rounded half away from zero,
// keeps gemmlowp's form on 32-bit words with the channel's mask and threshold.
// A channel with a left shift (a multiplier above 1) takes the reference for its values too.
#include "q8_internal.h"

#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>

/// SRDHM for m ≠ INT32_MIN (the caller sends that multiplier to the reference).
static inline int32_t doubling_high_mul(int32_t x, int32_t m) {
    const int64_t t = (int64_t)x * m + (1 << 30);
    return (int32_t)((uint32_t)t >> 31 | (uint32_t)(t >> 32) << 1);
}

/// RDBP(SRDHM(x, m), e) for a right shift e of 0...31 and m ≠ INT32_MIN.
static inline int32_t scale_down(int32_t x, int32_t m, uint32_t e) {
    const uint32_t mask = (1u << e) - 1;
    const int32_t h = doubling_high_mul(x, m);
    return (h >> e) + (((uint32_t)h & mask) > (mask >> 1) + ((uint32_t)h >> 31));
}

/// zy + v clamped to lo...hi (0 ≤ lo ≤ hi ≤ 255): USAT, then lo, then hi where it is below 255.
static inline uint8_t clamp_output(int32_t v, int32_t lo, int32_t hi) {
    v = __usat(v, 8);
    v = v < lo ? lo : v;
    return (uint8_t)(hi < 255 && v > hi ? hi : v);
}

void pith_q8_requantize_rows_dsp(const int32_t *acc, int32_t rows, int32_t N, long ldacc, const pith_q8_output *o,
                                 uint8_t *out, long ldo) {
    const int32_t zy = o->out_zero, lo = o->out_min, hi = o->out_max;
    // e = −shift: a right shift of 0...31 (a left shift, or one of more than 31, is above 31
    // as unsigned) with a multiplier other than INT32_MIN is the common case; anything else
    // takes the reference. Over several rows the channels are checked once, first.
    int plain = rows > 1;
    for (int32_t n = 0; plain && n < N; n++) plain = (uint32_t)-o->shift[n] <= 31 && o->mult[n] != INT32_MIN;
    for (int32_t r = 0; r < rows; r++) {
        const int32_t *a = acc + r * ldacc, *m = o->mult, *s = o->shift;
        uint8_t *y = out + r * ldo, *end = y + N;
        if (plain) {
            for (; y < end; a++, m++, s++, y++) *y = clamp_output(zy + scale_down(*a, *m, (uint32_t)-*s), lo, hi);
            continue;
        }
        for (; y < end; a++, m++, s++, y++) {
            const uint32_t e = (uint32_t)-*s;
            const int32_t v = __builtin_expect(e > 31 || *m == INT32_MIN, 0) ? pith_q8_multiply_by_quantized_multiplier(*a, *m, *s)
                                                                             : scale_down(*a, *m, e);
            *y = clamp_output(zy + v, lo, hi);
        }
    }
}
#endif
