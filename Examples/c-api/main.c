// A C program that links Pith's C API (include/pith.h): opens a .pith file, prints its
// shapes, runs a batch of two samples and checks the errors the API reports.
//   pith-c-example MODEL.pith
#include "pith.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s MODEL.pith\n", argv[0]); return 2; }
    if (pith_open("/nonexistent.pith", 1) != NULL || pith_last_error()[0] == 0) {
        fprintf(stderr, "a missing file must fail with an error\n");
        return 1;
    }
    pith_model *m = pith_open(argv[1], 2);
    if (!m) { fprintf(stderr, "%s\n", pith_last_error()); return 1; }
    int64_t dims[8];
    int32_t rank = pith_input_shape(m, dims, 8);
    printf("input rank %d:", rank);
    for (int i = 0; i < rank && i < 8; i++) printf(" %lld", (long long)dims[i]);
    int64_t n = pith_input_size(m), k = pith_output_size(m);
    printf(", %lld values; output %lld values\n", (long long)n, (long long)k);
    float *x = calloc((size_t)(2 * n), sizeof *x), *y = calloc((size_t)(2 * k), sizeof *y);
    for (int64_t i = 0; i < 2 * n; i++) x[i] = (float)((i * 7) % 17) / 16.0f;
    if (pith_run(m, x, 2 * n, 2, y, 2 * k) != 0) { fprintf(stderr, "%s\n", pith_last_error()); return 1; }
    if (pith_last_error()[0] != 0) { fprintf(stderr, "a success must clear the error\n"); return 1; }
    for (int s = 0; s < 2; s++) {
        int best = 0;
        for (int j = 1; j < k; j++) if (y[s * k + j] > y[s * k + best]) best = j;
        printf("sample %d: class %d (logit %.4f)\n", s, best, y[s * k + best]);
    }
    x[3] = NAN;
    if (pith_run(m, x, 2 * n, 1, y, 2 * k) == 0) { fprintf(stderr, "a NaN input must fail\n"); return 1; }
    printf("NaN input refused: %s\n", pith_last_error());
    if (pith_run(m, x, 2 * n, 3, y, 2 * k) == 0) { fprintf(stderr, "batch 3 > max 2 must fail\n"); return 1; }
    printf("batch 3 refused: %s\n", pith_last_error());
    if (pith_run(m, x, 2 * n, 2, y, k) == 0) { fprintf(stderr, "an output buffer of one sample for two must fail\n"); return 1; }
    printf("short output refused: %s\n", pith_last_error());
    pith_close(m);
    free(x);
    free(y);
    return 0;
}
