// A C program on libpith.a (tools/build-libpith host), built with a plain
//   cc host_example.c $(pkg-config --cflags --libs pith)
// by tools/firmware-check: it loads MODEL into memory, sizes an arena with pith_arena_size,
// opens the model in place in that arena, classifies every sample of INPUT (an IDX file)
// as the firmware does, and prints the library's version and the model's classes.
#include "classify.h"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: host_example MODEL.pith INPUT.idx\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0) return perror(argv[1]), 1;
    long size = ftell(f);
    rewind(f);
    void *bytes = size > 0 ? malloc((size_t)size) : NULL;
    if (!bytes || fread(bytes, 1, (size_t)size, f) != (size_t)size) return fprintf(stderr, "%s: cannot read it\n", argv[1]), 1;
    fclose(f);
    int64_t arena_bytes = pith_arena_size(bytes, (size_t)size, 1);
    if (arena_bytes < 0) return fprintf(stderr, "%s\n", pith_last_error()), 1;
    void *arena = malloc((size_t)arena_bytes);
    pith_model *m = arena ? pith_open_memory_arena(bytes, (size_t)size, 1, arena, (size_t)arena_bytes) : NULL;
    if (!m) return fprintf(stderr, "%s\n", pith_last_error()), 1;
    long long samples = pith_classify_idx(m, argv[2], 1);
    if (samples < 0) return 1;
    printf("libpith %s (format %d): %lld samples, %d classes, arena %lld bytes\n", pith_version(), pith_format_version(), samples,
           pith_class_count(m), (long long)arena_bytes);
    pith_close(m);
    free(arena);
    free(bytes);
    return 0;
}
