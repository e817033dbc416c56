// CPU-feature detection and the kernels' PITH_* environment variables, in one file (see
// include/pith_cpu_features.h). The cached answers are plain statics: a race between two
// first calls computes the same value twice.
#include "include/pith_cpu_features.h"
#include "include/pith_q8_gemm.h"
#include <string.h>
#if __STDC_HOSTED__
#include <stdlib.h>
#endif

/// The variable's value, or NULL (always NULL freestanding: no environment).
static const char *variable(const char *name) {
#if __STDC_HOSTED__
    return getenv(name);
#else
    (void)name;
    return NULL;
#endif
}

/// Whether the variable is set to exactly `value`.
static int variable_is(const char *name, const char *value) {
    const char *v = variable(name);
    return v != NULL && strcmp(v, value) == 0;
}

// MARK: CPU features

enum { AVX2 = 1, AVXVNNI = 2, AVX512F = 4, AVX512VL = 8, AVX512BW = 16, AVX512DQ = 32, AVX512VNNI = 64, FMA = 128,
       AVX512VBMI = 256, FOUND = 1u << 31 };

/// Which of the features above this CPU has (none off x86-64), found once; FOUND marks
/// the word as computed, so one load answers every later call.
static unsigned features(void) {
    static unsigned bits = 0;
    if (!bits) {
        unsigned f = FOUND;
#if defined(__x86_64__)
        __builtin_cpu_init();
        f |= (__builtin_cpu_supports("avx2") ? AVX2 : 0) | (__builtin_cpu_supports("avxvnni") ? AVXVNNI : 0)
            | (__builtin_cpu_supports("avx512f") ? AVX512F : 0) | (__builtin_cpu_supports("avx512vl") ? AVX512VL : 0)
            | (__builtin_cpu_supports("avx512bw") ? AVX512BW : 0) | (__builtin_cpu_supports("avx512dq") ? AVX512DQ : 0)
            | (__builtin_cpu_supports("avx512vnni") ? AVX512VNNI : 0) | (__builtin_cpu_supports("fma") ? FMA : 0)
            | (__builtin_cpu_supports("avx512vbmi") ? AVX512VBMI : 0);
#endif
        bits = f;
    }
    return bits;
}

/// Whether the CPU has every one of `wanted`.
static int has(unsigned wanted) { return (features() & wanted) == wanted; }

int pith_cpu_has_avx512(void) { return has(AVX512F | AVX512VL | AVX512BW | AVX512DQ); }
int pith_cpu_has_avx2(void) { return has(AVX2); }
int pith_cpu_has_avxvnni(void) { return has(AVX2 | AVXVNNI); }
int pith_cpu_has_avx512vnni(void) { return has(AVX512F | AVX512BW | AVX512VL | AVX512VNNI); }
int pith_cpu_has_avx512_fma(void) { return has(AVX512F | FMA); }
int pith_cpu_has_avx512vbmi(void) { return has(AVX512F | AVX512BW | AVX512VL | AVX512VBMI); }

int pith_cpu_has_neon(void) {
#if defined(__aarch64__)
    return 1;
#else
    return 0;
#endif
}

int pith_kernels_use_avx512(void) {
    static int decided = -1;
    if (decided < 0) decided = !variable_is("PITH_KERNELS", "generic") && pith_cpu_has_avx512();
    return decided;
}

int pith_kernels_use_avx2(void) {
    static int decided = -1;
    if (decided < 0) decided = !variable_is("PITH_KERNELS", "generic") && pith_cpu_has_avx2();
    return decided;
}

int pith_kernels_use_dsp(void) {
#if defined(__ARM_FEATURE_DSP)
    static int decided = -1;
    if (decided < 0) decided = !variable_is("PITH_KERNELS", "generic");
    return decided;
#else
    return 0;
#endif
}

// MARK: environment

int pith_env_q8_path(void) {
    static int decided = -1;
    if (decided < 0) {
        decided = 0;
        const char *force = variable("PITH_Q8_PATH");
        const char *names[] = {"", "reference", "avx2", "avxvnni", "avx512vnni", "neon", "dsp"};
        for (int p = PITH_Q8_REFERENCE; force && p <= PITH_Q8_DSP; p++) {
            if (strcmp(force, names[p]) == 0) decided = p;
        }
    }
    return decided;
}

int pith_env_f32_path(void) {
    static int decided = -1;
    if (decided < 0) decided = variable_is("PITH_F32_PATH", "reference") ? 1 : 0;
    return decided;
}

int pith_env_q8_zero_skip(void) {
    static int enabled = -1;
    if (enabled < 0) enabled = variable_is("PITH_Q8_ZERO_SKIP", "0") ? 0 : variable_is("PITH_Q8_ZERO_SKIP", "conv") ? 2 : 1;
    return enabled;
}

int pith_channel_order_enabled(void) { return !variable_is("PITH_CHANNEL_ORDER", "0"); }
