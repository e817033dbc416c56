// int8 GEMM throughput against the machine's measured vpdpbusd peak (tools/bench-q8-gemm).
//
// Peak: a tight loop of 24 independent vpdpbusd on zmm (pith_q8_vnni_peak_probe), in
// multiply-adds per second; GOPS counts 2 ops per multiply-add. Then, per path, the
// s32-output GEMM for each shape: median of `reps` timed runs after a warm-up.
#define _POSIX_C_SOURCE 200809L
#include "pith_q8_gemm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 21;
    double peak = 0;
    if (pith_q8_path_supported(PITH_Q8_AVX512VNNI)) {
        double t[11];
        long iters = 2000000;
        volatile int32_t sink = pith_q8_vnni_peak_probe(iters / 10);
        for (int r = 0; r < 11; r++) {
            double s = now();
            sink += pith_q8_vnni_peak_probe(iters);
            t[r] = now() - s;
        }
        peak = 2.0 * iters * 24 * 64 / median(t, 11) / 1e9;
        printf("vpdpbusd peak (zmm, 24 independent chains): %.1f GOPS\n", peak);
        (void)sink;
    }
    const int shapes[][3] = {{512, 512, 512}, {1, 1200, 1200}, {256, 1200, 1200}, {1, 10, 784}, {256, 1024, 3136}};
    const char *names[] = {"", "reference", "avx2", "avxvnni", "avx512vnni", "neon"};
    printf("%-16s %-11s %10s %9s %8s\n", "M x N x K", "path", "us", "GOPS", "of peak");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        uint8_t *A = aligned_alloc(64, ((size_t)M * K + 63) / 64 * 64);
        int8_t *W = malloc((size_t)N * K);
        int32_t *C = malloc((size_t)M * N * 4);
        srand(1);
        for (size_t i = 0; i < (size_t)M * K; i++) A[i] = rand();
        for (size_t i = 0; i < (size_t)N * K; i++) W[i] = rand();
        pith_q8_packed p;
        p.data = aligned_alloc(64, pith_q8_packed_bytes(K, N));
        p.colsum = malloc(N * 4);
        pith_q8_pack(W, N, K, &p);
        for (int path = 2; path <= 5; path++) {
            if (!pith_q8_path_supported(path)) continue;
            double t[101];
            int n = reps > 101 ? 101 : reps;
            // Enough calls per timing to last about a millisecond.
            long calls = (long)(1e6 / ((double)M * N * K / 50.0)) + 1;
            pith_q8_gemm_s32(A, K, M, &p, NULL, 3, C, N, path);
            for (int r = 0; r < n; r++) {
                double st = now();
                for (long c = 0; c < calls; c++) pith_q8_gemm_s32(A, K, M, &p, NULL, 3, C, N, path);
                t[r] = (now() - st) / calls;
            }
            double sec = median(t, n);
            double gops = 2.0 * M * N * K / sec / 1e9;
            char shape[32];
            snprintf(shape, sizeof shape, "%dx%dx%d", M, N, K);
            printf("%-16s %-11s %10.1f %9.1f %7.1f%%\n", shape, names[path], sec * 1e6, gops, peak > 0 ? 100 * gops / peak : 0);
        }
        free(A); free(W); free(C); free(p.data); free(p.colsum);
    }
    return 0;
}
