// Every int8 GEMM path this CPU has, held bit for bit to the scalar reference
// (pith_q8_gemm_reference, then pith_q8_requantize_reference) on seeded random operands
// over the full uint8 × int8 range and shapes around every edge of the packing (N by 16,
// K by 4, the microkernels' row counts). tools/embedded-check builds it for aarch64 with
// Debian's cross compiler and runs it under qemu-aarch64 (the NEON path), and here.
// Then the requantization and the input quantization this build dispatches to, over the
// whole int32 range and every rounding tie. Prints one
// line per path; exit status 1 at the first difference.
#include "pith_cpu_features.h"
#include "pith_q8_gemm.h"
#include "pith_runtime_ops.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 0x243F6A8885A308D3ull;
static uint32_t next(void) {  // xorshift64*
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return (uint32_t)((state * 0x2545F4914F6CDD1Dull) >> 32);
}

static void *aligned(size_t bytes) {
    void *p = NULL;
    return posix_memalign(&p, 64, bytes < 64 ? 64 : bytes) == 0 ? p : NULL;
}

/// One shape on one path: 0 when its int32 and its uint8 results are the reference's.
static int check(pith_q8_path path, int32_t M, int32_t N, int32_t K) {
    const long lda = (K + 3) / 4 * 4;
    uint8_t *A = aligned((size_t)M * lda);
    int8_t *W = aligned((size_t)N * K);
    int32_t *bias = aligned(4 * (size_t)N), *mult = aligned(4 * (size_t)N), *shift = aligned(4 * (size_t)N);
    int32_t *want = aligned(4 * (size_t)M * N), *got = aligned(4 * (size_t)M * N);
    uint8_t *want8 = aligned((size_t)M * N), *got8 = aligned((size_t)M * N);
    pith_q8_packed p = {0};
    p.data = aligned(pith_q8_packed_bytes(K, N));
    p.colsum = aligned(4 * (size_t)N);
    if (!A || !W || !bias || !mult || !shift || !want || !got || !want8 || !got8 || !p.data || !p.colsum) return fprintf(stderr, "out of memory\n"), 1;
    for (long i = 0; i < M * lda; i++) A[i] = (uint8_t)next();
    for (long i = 0; i < (long)N * K; i++) W[i] = (int8_t)next();
    for (int32_t n = 0; n < N; n++) {
        bias[n] = (int32_t)(next() % 200001) - 100000;
        pith_q8_quantize_multiplier((double)(next() % 1000000 + 1) * 1e-9, &mult[n], &shift[n]);
    }
    const int32_t za = (int32_t)(next() % 256), zy = (int32_t)(next() % 256);
    pith_q8_pack(W, N, K, &p);
    pith_q8_gemm_reference(A, lda, M, W, N, K, bias, za, want, N);
    pith_q8_gemm_s32(A, lda, M, &p, bias, za, got, N, path);
    pith_q8_output o = {za, bias, mult, shift, zy, 0, 255};
    for (int32_t m = 0; m < M; m++) pith_q8_requantize_reference(want + (long)m * N, N, &o, want8 + (long)m * N);
    pith_q8_gemm_u8(A, lda, M, &p, &o, got8, N, path);
    int bad = memcmp(want, got, 4 * (size_t)M * N) != 0 || memcmp(want8, got8, (size_t)M * N) != 0;
    // From precomputed column starts (bias − za·colsum), as the runtime's Dense layers run.
    int32_t *start = aligned(4 * (size_t)N);
    if (!start) return fprintf(stderr, "out of memory\n"), 1;
    pith_q8_gemm_start(&p, bias, za, start);
    memset(got8, 0, (size_t)M * N);
    pith_q8_gemm_u8_start(A, lda, M, &p, start, &o, got8, N, path);
    bad |= memcmp(want8, got8, (size_t)M * N) != 0;
    free(start);
    if (bad) fprintf(stderr, "path %d differs from the reference at M %d, N %d, K %d\n", (int)path, M, N, K);
    free(A), free(W), free(bias), free(mult), free(shift), free(want), free(got), free(want8), free(got8), free(p.data), free(p.colsum);
    return bad;
}

/// The requantization this build dispatches to (pith_q8_requantize_rows: AVX-512 on x86-64,
/// the DSP twin on ARMv7E-M) against the reference on accumulators over the whole int32
/// range (INT32_MIN and INT32_MAX included) and multipliers from 2⁻⁴⁰ to 8 (right shifts
/// up to 31 and left shifts), zero points and clamps at random; 0 when all agree.
static int check_requantize(void) {
    enum { N = 64, ROWS = 8, ROUNDS = 200 };
    static int32_t acc[ROWS * N], mult[N], shift[N];
    static uint8_t want[ROWS * N], got[ROWS * N];
    for (int round = 0; round < ROUNDS; round++) {
        for (int n = 0; n < N; n++) {
            double m = (double)(next() % 1000 + 1) / 1000.0;
            for (int e = (int)(next() % 44); e > 0; e--) m /= 2;
            pith_q8_quantize_multiplier(m * 8, &mult[n], &shift[n]);
        }
        for (int i = 0; i < ROWS * N; i++) {
            uint32_t kind = next() % 8;
            acc[i] = kind == 0 ? INT32_MIN : kind == 1 ? INT32_MAX : kind < 4 ? (int32_t)(next() % 2001) - 1000 : (int32_t)next();
        }
        const int32_t zy = (int32_t)(next() % 256), lo = (int32_t)(next() % 128), hi = 128 + (int32_t)(next() % 128);
        pith_q8_output o = {0, NULL, mult, shift, zy, lo, hi};
        for (int r = 0; r < ROWS; r++) pith_q8_requantize_reference(acc + r * N, N, &o, want + r * N);
        pith_q8_requantize_rows(acc, ROWS, N, N, &o, got, N);
        int bad = memcmp(want, got, sizeof want) != 0;
        // Row by row too: a twin may take another way through one row than through several.
        memset(got, 0, sizeof got);
        for (int r = 0; r < ROWS; r++) pith_q8_requantize_rows(acc + r * N, 1, N, N, &o, got + r * N, N);
        if (bad || memcmp(want, got, sizeof want) != 0) {
            fprintf(stderr, "the requantization differs from the reference in round %d\n", round);
            return 1;
        }
    }
    printf("requantization: %d accumulators, bit-identical to the reference\n", ROUNDS * ROWS * N);
    return 0;
}

/// The input quantization this build dispatches to (pith_quantize_u8) against the
/// reference: values at and next to every tie, beyond the clamps, huge and tiny, over
/// scales and zero points at random; the same bytes and the same first non-finite index
/// (an infinity planted at random).
static int check_quantize(void) {
    enum { N = 1024, ROUNDS = 100 };
    static float x[N];
    static uint8_t want[N], got[N];
    for (int round = 0; round < ROUNDS; round++) {
        const float scale = (float)(next() % 10000 + 1) / 65536.0f;
        const int32_t zero = (int32_t)(next() % 256);
        for (int i = 0; i < N; i++) {
            uint32_t kind = next() % 4;
            float k = (float)((int32_t)(next() % 1201) - 600) / 2;  // ties at the halves
            x[i] = kind == 0 ? k * scale : kind == 1 ? nextafterf(k * scale, 0) : kind == 2 ? ((float)next() - 2147483648.0f) * scale
                 : ((float)(next() % 2001) - 1000) * 1e-6f;
        }
        if (round % 2) x[next() % N] = (round % 4 == 1) ? INFINITY : -INFINITY;
        long a = pith_quantize_u8_reference(x, N, scale, zero, want), b = pith_quantize_u8(x, N, scale, zero, got);
        for (long i = a < 0 ? N : a; i < N; i++) want[i] = got[i] = 0;  // unspecified from a non-finite value on
        if (a != b || memcmp(want, got, N) != 0) {
            fprintf(stderr, "the input quantization differs from the reference in round %d\n", round);
            return 1;
        }
    }
    printf("input quantization: %d values, bit-identical to the reference\n", ROUNDS * N);
    return 0;
}

int main(void) {
    static const char *names[] = {"", "reference", "avx2", "avxvnni", "avx512vnni", "neon", "dsp"};
    const int32_t Ms[] = {1, 2, 3, 4, 5, 7, 8, 13}, Ns[] = {1, 5, 16, 17, 33, 64, 100}, Ks[] = {1, 3, 4, 7, 16, 28, 64, 129, 784};
    int paths = 0;
    for (int path = PITH_Q8_REFERENCE; path <= PITH_Q8_DSP; path++) {
        if (!pith_q8_path_supported((pith_q8_path)path)) continue;
        int shapes = 0;
        for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
            for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++)
                for (size_t c = 0; c < sizeof Ks / sizeof *Ks; c++, shapes++)
                    if (check((pith_q8_path)path, Ms[a], Ns[b], Ks[c])) return 1;
        printf("int8 GEMM path %s: %d shapes, int32 and uint8 results bit-identical to the reference\n", names[path], shapes);
        paths++;
    }
    return paths > 0 && check_requantize() == 0 ? check_quantize() : 1;
}
