// Umbrella header of the kernels that ship with the runtime (int8 and fp32 GEMM, packing,
// requantization, runtime ops, the thread pool, the integer LSTM and Transformer ops), and of the one file that detects the
// CPU and reads the PITH_* variables.
#include "pith_cpu_features.h"
#include "pith_q8_gemm.h"
#include "pith_f32_gemm.h"
#include "pith_runtime_ops.h"
#include "pith_parallel.h"
#include "pith_q_lstm.h"
#include "pith_q_transformer.h"
