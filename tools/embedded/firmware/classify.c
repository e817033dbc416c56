// Classifies every sample of an IDX file with a Pith model through pith.h, printing each
// one's class as pith-run prints it: shared by the firmware (main.c) and the host example
// (host_example.c), which tools/firmware-check compare with pith-run.
#include "classify.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long long fail(const char *what, const char *why) {
    fprintf(stderr, "%s: %s\n", what, why);
    return -1;
}

static uint32_t big_endian32(const uint8_t *b) { return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]; }

long long pith_classify_idx(pith_model *m, const char *path, int repeat) {
    const int64_t features = pith_input_size(m), classes = pith_output_size(m);
    const double scale = pith_input_scale(m);
    FILE *f = fopen(path, "rb");
    if (!f) return fail(path, "cannot open it");
    // The IDX header: 0, 0, the value type, the rank, then rank big-endian u32 sizes.
    uint8_t head[4], size[4];
    if (fread(head, 1, 4, f) != 4 || head[0] || head[1] || (head[2] != 0x08 && head[2] != 0x0D) || head[3] < 1 || head[3] > 4)
        return fail(path, "not an IDX file of unsigned bytes or float32 of rank 1...4");
    uint64_t samples = 0, perSample = 1;
    for (int d = 0; d < head[3]; d++) {
        if (fread(size, 1, 4, f) != 4) return fail(path, "truncated IDX header");
        uint32_t n = big_endian32(size);
        if (d == 0) samples = n;
        else if ((perSample *= n) > (1u << 24)) return fail(path, "a sample of more than 2^24 values");
    }
    if (perSample != (uint64_t)features) {
        fprintf(stderr, "%s: samples of %llu values; the model takes %lld\n", path, (unsigned long long)perSample, (long long)features);
        return -1;
    }
    const size_t width = head[2] == 0x08 ? 1 : 4;
    uint8_t *raw = malloc((size_t)features * width);
    float *x = malloc((size_t)features * sizeof(float)), *y = malloc((size_t)classes * sizeof(float));
    if (!raw || !x || !y) return fail("memory", "no room for one sample");
    for (uint64_t s = 0; s < samples; s++) {
        if (fread(raw, width, (size_t)features, f) != (size_t)features) return fail(path, "truncated: fewer samples than its header says");
        for (int64_t i = 0; i < features; i++) {
            if (width == 1) x[i] = (float)(raw[i] * scale);
            else {
                uint32_t bits = big_endian32(raw + 4 * i);
                memcpy(&x[i], &bits, 4);
            }
        }
        for (int r = 0; r < repeat; r++)
            if (pith_run(m, x, features, 1, y, classes) != 0) return fail("run", pith_last_error());
        // The first of the highest scores, as pith-run picks it.
        int64_t best = 0;
        for (int64_t j = 1; j < classes; j++)
            if (y[j] > y[best]) best = j;
        const char *label = best < pith_class_count(m) ? pith_class_label(m, (int32_t)best) : NULL;
        if (label) printf("sample %llu: class %s\n", (unsigned long long)s, label);
        else printf("sample %llu: class %lld\n", (unsigned long long)s, (long long)best);
    }
    free(raw);
    free(x);
    free(y);
    fclose(f);
    return (long long)samples;
}
