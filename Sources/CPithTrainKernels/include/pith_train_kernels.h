#ifndef PITH_TRAIN_KERNELS_H
#define PITH_TRAIN_KERNELS_H
/// Element-wise float32 kernels for training: a portable reference (`*_generic`), an
/// AVX-512 twin compiled with a target attribute (`*_avx512`), and a dispatcher that
/// picks the fastest path this CPU supports. Floating-point contraction is off, so every
/// path gives bit-identical results. PITH_KERNELS=generic in the environment forces the
/// reference path.

/// Adam/AdamW update for n parameters (Kingma & Ba, with bias correction):
///   g' = g + l2·w;  w ← w − decay·w;  m ← β1·m + (1−β1)·g';  v ← β2·v + (1−β2)·g'²;
///   w ← w − step · m / (√v · invSqrtC2 + ε)
/// where step = lr / (1 − β1^t), invSqrtC2 = 1 / √(1 − β2^t), l2 = λ for Adam (L2 in the
/// gradient) and decay = lr·λ for AdamW (decoupled); the other one is 0. The gradient is
/// set to zero once read, ready for the next step's accumulation (one pass over it, not two).
typedef struct {
    float beta1, beta2, epsilon, step, invSqrtC2, l2, decay;
} pith_adam_params;

void pith_adam(float *w, float *g, float *m, float *v, long n, const pith_adam_params *p);
void pith_adam_generic(float *w, float *g, float *m, float *v, long n, const pith_adam_params *p);
void pith_adam_avx512(float *w, float *g, float *m, float *v, long n, const pith_adam_params *p);

/// y = max(x, 0); NaN stays NaN (as in PyTorch), so a diverging run is noticed.
void pith_relu_forward(const float *x, float *y, long n);
void pith_relu_forward_generic(const float *x, float *y, long n);
void pith_relu_forward_avx512(const float *x, float *y, long n);

/// gx += (x > 0) ? gy : 0.
void pith_relu_backward(const float *x, const float *gy, float *gx, long n);
void pith_relu_backward_generic(const float *x, const float *gy, float *gx, long n);
void pith_relu_backward_avx512(const float *x, const float *gy, float *gx, long n);

/// Whether the AVX-512 paths are in use: pith_kernels_use_avx512 of CPithRuntimeKernels'
/// pith_cpu_features.h (CPU support, pith_cpu_has_avx512, and not PITH_KERNELS=generic).
int pith_train_kernels_use_avx512(void);

#endif
