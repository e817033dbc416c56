// The one place that detects the CPU and reads the kernels' environment (cpu_features.c).
// Every kernel file asks here which instruction sets it may use and what a PITH_* variable
// says; none calls __builtin_cpu_supports or getenv itself. Built freestanding (the
// microcontroller targets), there is no environment: every variable reads as unset.
//
//   PITH_KERNELS=generic        every dispatching kernel takes its portable reference
//   PITH_Q8_PATH=NAME           the int8 GEMM path: reference|avx2|avxvnni|avx512vnni|neon|dsp
//   PITH_F32_PATH=reference     the fp32 GEMM's portable kernel (default: AVX-512 where present)
//   PITH_Q8_ZERO_SKIP=0|conv    int8 zero skipping off, or extended to every convolution
//   PITH_CHANNEL_ORDER=0        the runtime keeps the model's channel order
// A name a variable does not know, or a path this CPU lacks, leaves the default.
#ifndef PITH_CPU_FEATURES_H
#define PITH_CPU_FEATURES_H

/// Whether this CPU can run the AVX-512 paths (F, VL, BW, DQ). 0 off x86-64.
int pith_cpu_has_avx512(void);
/// AVX2; AVX2 and AVX-VNNI (vpdpbusd on ymm); AVX-512 F, BW, VL and VNNI (vpdpbusd on
/// zmm); AVX-512 F and FMA (the fp32 GEMM). 0 off x86-64.
int pith_cpu_has_avx2(void);
int pith_cpu_has_avxvnni(void);
int pith_cpu_has_avx512vnni(void);
int pith_cpu_has_avx512_fma(void);
/// AVX-512 F, BW, VL and VBMI (vpermi2b: 128-byte tables). 0 off x86-64.
int pith_cpu_has_avx512vbmi(void);
/// NEON: 1 on arm64 (part of the base architecture), 0 elsewhere.
int pith_cpu_has_neon(void);

/// Whether the element-wise and index kernels use their AVX-512 twins: the CPU has them
/// (pith_cpu_has_avx512) and PITH_KERNELS is not `generic`. Decided once.
int pith_kernels_use_avx512(void);
/// The same for the AVX2 twins (CPUs without AVX-512).
int pith_kernels_use_avx2(void);
/// Whether the ARMv7E-M twins run (the requantization, the input quantization): built for
/// the DSP extension (Cortex-M4/M7) and PITH_KERNELS is not `generic`. 0 elsewhere.
int pith_kernels_use_dsp(void);

/// PITH_Q8_PATH as a pith_q8_path value (1 reference ... 5 neon, 6 dsp), 0 when unset or unknown.
/// Read once.
int pith_env_q8_path(void);
/// PITH_F32_PATH: 1 for `reference`, else 0. Read once.
int pith_env_f32_path(void);
/// PITH_Q8_ZERO_SKIP: 0 for `0` (off), 2 for `conv` (implicit-GEMM convolutions too),
/// else 1 (GEMMs, and convolutions with C ≥ 32). Read once.
int pith_env_q8_zero_skip(void);
/// Whether the runtime may reorder channels between convolutions for zero skipping (on
/// unless PITH_CHANNEL_ORDER=0; results are the same either way). Read at every call,
/// so a test can set the variable between two loads.
int pith_channel_order_enabled(void);

#endif
