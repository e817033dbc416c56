// Every int8 GEMM path this CPU has, held bit for bit to the scalar reference
// (pith_q8_gemm_reference, then pith_q8_requantize_reference) on seeded random operands
// over the full uint8 × int8 range and shapes around every edge of the packing (N by 16,
// K by 4, the microkernels' row counts). tools/embedded-check builds it for aarch64 with
// Debian's cross compiler and runs it under qemu-aarch64 (the NEON path), and here.
// Prints one line per path; exit status 1 at the first difference.
#include "pith_cpu_features.h"
#include "pith_q8_gemm.h"
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
    if (bad) fprintf(stderr, "path %d differs from the reference at M %d, N %d, K %d\n", (int)path, M, N, K);
    free(A), free(W), free(bias), free(mult), free(shift), free(want), free(got), free(want8), free(got8), free(p.data), free(p.colsum);
    return bad;
}

int main(void) {
    static const char *names[] = {"", "reference", "avx2", "avxvnni", "avx512vnni", "neon"};
    const int32_t Ms[] = {1, 2, 3, 4, 5, 7, 8, 13}, Ns[] = {1, 5, 16, 17, 33, 64, 100}, Ks[] = {1, 3, 4, 7, 16, 28, 64, 129, 784};
    int paths = 0;
    for (int path = PITH_Q8_REFERENCE; path <= PITH_Q8_NEON; path++) {
        if (!pith_q8_path_supported((pith_q8_path)path)) continue;
        int shapes = 0;
        for (size_t a = 0; a < sizeof Ms / sizeof *Ms; a++)
            for (size_t b = 0; b < sizeof Ns / sizeof *Ns; b++)
                for (size_t c = 0; c < sizeof Ks / sizeof *Ks; c++, shapes++)
                    if (check((pith_q8_path)path, Ms[a], Ns[b], Ks[c])) return 1;
        printf("int8 GEMM path %s: %d shapes, int32 and uint8 results bit-identical to the reference\n", names[path], shapes);
        paths++;
    }
    return paths > 0 ? 0 : 1;
}
