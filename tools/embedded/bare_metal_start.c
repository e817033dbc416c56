// The board side of the bare-metal runtime image (bare_metal.h), over picolibc's start
// (crt0: .data copied, .bss zeroed, TLS set up, then main). The model region's bounds,
// __pith_model_start and __pith_model_end, come from the board's linker script
// (armv7em.ld, riscv32.ld). Weak definitions are what a real board replaces.
#include "bare_metal.h"

extern const uint8_t __pith_model_start[], __pith_model_end[];

/// Where a debugger or a harness reads the outcome (pith_bare_report).
volatile int32_t pith_bare_status = -1, pith_bare_value;

void pith_bare_report(int32_t status, int32_t value) {
    pith_bare_value = value;
    pith_bare_status = status;
}

const uint8_t *pith_bare_model(void) {
    return pith_bare_model_size() ? __pith_model_start + 4 : NULL;
}

size_t pith_bare_model_size(void) {
    const uint8_t *p = __pith_model_start;
    uint32_t count = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return count > 0 && count <= (size_t)(__pith_model_end - __pith_model_start) - 4 ? count : 0;
}

/// Random bytes for Embedded Swift (its hash seeds): this board has no entropy source, so
/// they are a fixed sequence (splitmix64). A board with a TRNG defines its own.
__attribute__((weak)) void arc4random_buf(void *buffer, size_t count) {
    static uint64_t state = 0x9e3779b97f4a7c15ull;
    uint8_t *out = buffer;
    for (size_t i = 0; i < count; i++) {
        if (i % 8 == 0) state += 0x9e3779b97f4a7c15ull;
        uint64_t z = state ^ (state >> 30);
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        out[i] = (uint8_t)((z ^ (z >> 31)) >> (8 * (i % 8)));
    }
}

/// The stack protector's canary (Swift code is compiled with it): fixed here, from a TRNG
/// at reset on a real board. A smashed stack reports status 3 and stops.
__attribute__((weak)) uintptr_t __stack_chk_guard = (uintptr_t)0x595e9fbd94fda766ull;
__attribute__((weak, noreturn)) void __stack_chk_fail(void) {
    pith_bare_report(3, 0);
    for (;;) {
    }
}

#if defined(__arm__)
/// The personality routine the unwind entries of Embedded Swift's C++ Unicode tables name.
/// Nothing in the image throws or unwinds, so it is never called; defining it keeps
/// libgcc's unwinder (and its unwind-index symbols, which picolibc's script lacks) out.
__attribute__((weak, noreturn)) void __aeabi_unwind_cpp_pr0(void) {
    for (;;) {
    }
}
#endif
