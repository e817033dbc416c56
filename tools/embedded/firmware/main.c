// Pith's firmware for a microcontroller (`pith build MODEL --target cortex-m4`): the model
// linked into flash (model.S, written by pith build: pith_firmware_model, pith_firmware_model_end and a
// static arena, pith_firmware_arena, of pith_firmware_arena_bytes), libpith.a through pith.h, and picolibc
// with semihosting for its input file and its output.
//
//   qemu-system-arm -M mps2-an386 -nographic -semihosting-config enable=on,target=native,arg=INPUT[,arg=OPTION...] -kernel fw
//
// Options: repeat=K runs each sample K times (instruction counts per inference: the
// difference of two runs' counts); scalar runs the portable scalar kernels throughout
// (PITH_Q8_PATH=reference, PITH_KERNELS=generic) instead of the DSP twins, the default on
// Cortex-M4/M7.
// INPUT is an IDX file (unsigned bytes, multiplied by the model's input scale, or float32)
// with one sample per first-dimension entry; each sample's class is printed as pith-run
// prints it ("sample S: class NAME"), then a summary line with the heap and stack used.
// The exit status is 0, or 1 with one line on stderr.
#include "classify.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const uint8_t pith_firmware_model[], pith_firmware_model_end[];
extern uint8_t pith_firmware_arena[];
extern const uint32_t pith_firmware_arena_bytes;
extern uint8_t __heap_start[], __heap_end[], __stack[];

/// Fills the free stack below the caller's frame with a pattern, so that stack_used can
/// find the deepest word the run overwrote.
#define STACK_PAINT 0x5AA5C33Cu
static void paint_stack(void) {
    uint32_t here;
    for (uint32_t *p = (uint32_t *)(((uintptr_t)__heap_end + 3) & ~(uintptr_t)3); p < &here - 64; p++) *p = STACK_PAINT;
}

static size_t stack_used(void) {
    const uint32_t *p = (const uint32_t *)(((uintptr_t)__heap_end + 3) & ~(uintptr_t)3);
    while (p < (const uint32_t *)__stack && *p == STACK_PAINT) p++;
    return (size_t)(__stack - (const uint8_t *)p);
}

int main(int argc, char **argv) {
    paint_stack();
    if (argc < 2) {
        fprintf(stderr, "firmware: expected the input file (semihosting arg=...)\n");
        return 1;
    }
    int repeat = 1;
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "repeat=", 7) == 0 && atoi(argv[i] + 7) >= 1 && atoi(argv[i] + 7) <= 1000) repeat = atoi(argv[i] + 7);
        else if (strcmp(argv[i], "scalar") == 0) setenv("PITH_Q8_PATH", "reference", 1), setenv("PITH_KERNELS", "generic", 1);
        else {
            fprintf(stderr, "firmware: unknown option '%s' (repeat=1...1000, scalar)\n", argv[i]);
            return 1;
        }
    }
    pith_model *m = pith_open_memory_arena(pith_firmware_model, (size_t)(pith_firmware_model_end - pith_firmware_model), 1,
                                           pith_firmware_arena, pith_firmware_arena_bytes);
    if (!m) {
        fprintf(stderr, "firmware: the model: %s\n", pith_last_error());
        return 1;
    }
    long long samples = pith_classify_idx(m, argv[1], repeat);
    if (samples < 0) return 1;
    printf("firmware: %llu samples; heap used %lu bytes, stack used %lu bytes, arena %lu bytes\n", (unsigned long long)samples,
           (unsigned long)((uint8_t *)sbrk(0) - __heap_start), (unsigned long)stack_used(), (unsigned long)pith_firmware_arena_bytes);
    pith_close(m);
    return 0;
}
