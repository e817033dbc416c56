// Umbrella header of the C kernels.
#include "pith_train_kernels.h"
#include "pith_conv_kernels.h"
#include "pith_q8_gemm.h"
#include "pith_f32_gemm.h"
#include "pith_runtime_ops.h"
#include "pith_parallel.h"
