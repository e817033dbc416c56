// Element-wise training kernels: one body, compiled twice (portable and AVX-512), chosen
// at run time. See include/pith_train_kernels.h.
#include "pith_train_kernels.h"
#include "pith_cpu_features.h"
#include <math.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

#define ADAM_BODY                                                                   \
    const float b1 = p->beta1, b2 = p->beta2, eps = p->epsilon, step = p->step;     \
    const float c2 = p->invSqrtC2, l2 = p->l2, decay = p->decay;                    \
    for (long i = 0; i < n; i++) {                                                  \
        float wi = w[i];                                                            \
        float gi = g[i] + l2 * wi;                                                  \
        g[i] = 0.0f;                                                                \
        wi = wi - decay * wi;                                                       \
        float mi = b1 * m[i] + (1.0f - b1) * gi;                                    \
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;                               \
        m[i] = mi;                                                                  \
        v[i] = vi;                                                                  \
        w[i] = wi - step * mi / (sqrtf(vi) * c2 + eps);                             \
    }

#define RELU_FORWARD_BODY \
    for (long i = 0; i < n; i++) { y[i] = x[i] <= 0.0f ? 0.0f : x[i]; } /* NaN passes through */

#define RELU_BACKWARD_BODY \
    for (long i = 0; i < n; i++) { gx[i] += x[i] > 0.0f ? gy[i] : 0.0f; }

void pith_adam_generic(float *restrict w, float *restrict g, float *restrict m, float *restrict v,
                       long n, const pith_adam_params *p) { ADAM_BODY }
void pith_relu_forward_generic(const float *restrict x, float *restrict y, long n) { RELU_FORWARD_BODY }
void pith_relu_backward_generic(const float *restrict x, const float *restrict gy, float *restrict gx, long n) { RELU_BACKWARD_BODY }

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq")))
AVX512 void pith_adam_avx512(float *restrict w, float *restrict g, float *restrict m, float *restrict v,
                             long n, const pith_adam_params *p) { ADAM_BODY }
AVX512 void pith_relu_forward_avx512(const float *restrict x, float *restrict y, long n) { RELU_FORWARD_BODY }
AVX512 void pith_relu_backward_avx512(const float *restrict x, const float *restrict gy, float *restrict gx, long n) { RELU_BACKWARD_BODY }
#else
// Other architectures: the portable bodies, which the compiler vectorizes for its target.
void pith_adam_avx512(float *w, float *g, float *m, float *v, long n, const pith_adam_params *p) { pith_adam_generic(w, g, m, v, n, p); }
void pith_relu_forward_avx512(const float *x, float *y, long n) { pith_relu_forward_generic(x, y, n); }
void pith_relu_backward_avx512(const float *x, const float *gy, float *gx, long n) { pith_relu_backward_generic(x, gy, gx, n); }
#endif

int pith_train_kernels_use_avx512(void) { return pith_kernels_use_avx512(); }

void pith_adam(float *w, float *g, float *m, float *v, long n, const pith_adam_params *p) {
    if (pith_train_kernels_use_avx512()) pith_adam_avx512(w, g, m, v, n, p); else pith_adam_generic(w, g, m, v, n, p);
}
void pith_relu_forward(const float *x, float *y, long n) {
    if (pith_train_kernels_use_avx512()) pith_relu_forward_avx512(x, y, n); else pith_relu_forward_generic(x, y, n);
}
void pith_relu_backward(const float *x, const float *gy, float *gx, long n) {
    if (pith_train_kernels_use_avx512()) pith_relu_backward_avx512(x, gy, gx, n); else pith_relu_backward_generic(x, gy, gx, n);
}
