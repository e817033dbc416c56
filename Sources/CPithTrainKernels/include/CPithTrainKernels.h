// Umbrella header of the kernels only training needs: element-wise training steps (Adam,
// ReLU forward and backward) and the index kernels of convolution and pooling (im2col,
// col2im, row sums, max pooling with argmax), and the sequence layers' (σ, tanh, GELU, the
// LSTM step, LayerNorm, attention). CPU detection: CPithRuntimeKernels'
// pith_cpu_features.h.
#include "pith_train_kernels.h"
#include "pith_conv_kernels.h"
#include "pith_sequence_kernels.h"
