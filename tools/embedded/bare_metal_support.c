// What Embedded Swift and Swift's compiled code ask of a bare-metal board beyond picolibc,
// linked into libpith.a for the microcontroller targets (tools/build-libpith). Weak: a real
// board with a TRNG defines its own.
#include <stddef.h>
#include <stdint.h>

/// Random bytes for Embedded Swift (its hash seeds): this board has no entropy source, so
/// they are a fixed sequence (splitmix64).
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
/// at reset on a real board. A smashed stack stops the program.
__attribute__((weak)) uintptr_t __stack_chk_guard = (uintptr_t)0x595e9fbd94fda766ull;
__attribute__((weak, noreturn)) void __stack_chk_fail(void) {
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
