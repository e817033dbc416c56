#ifndef PITH_SEQUENCE_KERNELS_H
#define PITH_SEQUENCE_KERNELS_H
/// Float32 kernels of the sequence layers for training: vector transcendental functions
/// (exp, σ, tanh, GELU), the LSTM cell's point-wise step, LayerNorm and multi-head
/// scaled dot-product attention. Each has a portable reference (`*_generic`) and an
/// AVX-512 twin (`*_avx512`) compiled from the same body with contraction off, so the two
/// give bit-identical results; the plain name dispatches (see pith_train_kernels.h).
///
/// exp is Cody–Waite range reduction with a degree-6 polynomial (about 2 ulp over
/// [−87, 88]; below −87.3 it returns 0, above 88.3 e^88.3; NaN stays NaN). erf is
/// Abramowitz & Stegun 7.1.26 (absolute error below 1.5·10⁻⁷), so GELU is PyTorch's exact
/// erf form to float rounding, not its tanh approximation.

/// y = σ(x) = 1 / (1 + e^−x), without overflow for either sign.
void pith_sigmoid_forward(const float *x, float *y, long n);
void pith_sigmoid_forward_generic(const float *x, float *y, long n);
void pith_sigmoid_forward_avx512(const float *x, float *y, long n);

/// y = tanh(x) = sign(x) · (1 − e^−2|x|) / (1 + e^−2|x|).
void pith_tanh_forward(const float *x, float *y, long n);
void pith_tanh_forward_generic(const float *x, float *y, long n);
void pith_tanh_forward_avx512(const float *x, float *y, long n);

/// y = GELU(x) = x/2 · (1 + erf(x/√2)).
void pith_gelu_forward(const float *x, float *y, long n);
void pith_gelu_forward_generic(const float *x, float *y, long n);
void pith_gelu_forward_avx512(const float *x, float *y, long n);

/// gx += gy · (Φ(x) + x · φ(x)), Φ, φ the standard normal distribution and density.
void pith_gelu_backward(const float *x, const float *gy, float *gx, long n);
void pith_gelu_backward_generic(const float *x, const float *gy, float *gx, long n);
void pith_gelu_backward_avx512(const float *x, const float *gy, float *gx, long n);

/// One LSTM step for `rows` sequences of hidden size H. gates: per row the 4H values
/// W x + U h_prev of [i | f | g | o] (row stride gates_stride), to which bias (4H) is
/// added, overwritten with the activations σ(i), σ(f), tanh(g), σ(o). c_prev, c, tanh_c:
/// per row H values (row stride state_stride); h: per row H values (row stride h_stride):
///   c = f ⊙ c_prev + i ⊙ g,  tanh_c = tanh(c) (kept for the backward pass),  h = o ⊙ tanh_c.
void pith_lstm_step_forward(float *gates, long gates_stride, const float *bias, const float *c_prev, float *c,
                            float *tanh_c, long state_stride, float *h, long h_stride, long rows, long hidden);
void pith_lstm_step_forward_generic(float *gates, long gates_stride, const float *bias, const float *c_prev, float *c,
                                    float *tanh_c, long state_stride, float *h, long h_stride, long rows, long hidden);
void pith_lstm_step_forward_avx512(float *gates, long gates_stride, const float *bias, const float *c_prev, float *c,
                                   float *tanh_c, long state_stride, float *h, long h_stride, long rows, long hidden);

/// Backward through one LSTM step. acts: the step's activations as the forward left them
/// (stride gates_stride); c_prev and tanh_c = tanh(c) (stride state_stride). dh_out: ∂L/∂h
/// from above (stride dh_stride; NULL: none), dh_rec: ∂L/∂h from the next step (contiguous
/// rows × H; NULL: none). dc: in, ∂L/∂c from the next step; out, ∂L/∂c_prev (contiguous
/// rows × H). dgates: out, ∂L/∂pre-activations [i | f | g | o] (stride gates_stride).
///   dh = dh_out + dh_rec;  dc' = dc + dh ⊙ o ⊙ (1 − tanh²c);
///   ∂i = dc' ⊙ g ⊙ i(1 − i),  ∂f = dc' ⊙ c_prev ⊙ f(1 − f),  ∂g = dc' ⊙ i ⊙ (1 − g²),
///   ∂o = dh ⊙ tanh c ⊙ o(1 − o);  dc ← dc' ⊙ f.
void pith_lstm_step_backward(const float *acts, float *dgates, long gates_stride, const float *c_prev, const float *tanh_c,
                             long state_stride, const float *dh_out, long dh_stride, const float *dh_rec, float *dc,
                             long rows, long hidden);
void pith_lstm_step_backward_generic(const float *acts, float *dgates, long gates_stride, const float *c_prev,
                                     const float *tanh_c, long state_stride, const float *dh_out, long dh_stride,
                                     const float *dh_rec, float *dc, long rows, long hidden);
void pith_lstm_step_backward_avx512(const float *acts, float *dgates, long gates_stride, const float *c_prev,
                                    const float *tanh_c, long state_stride, const float *dh_out, long dh_stride,
                                    const float *dh_rec, float *dc, long rows, long hidden);

/// LayerNorm over the last axis of `rows` rows of d values:
///   μ = mean(x), σ² = mean((x − μ)²), r = 1/√(σ² + ε),  y = (x − μ) · r · γ + β.
/// Saves xhat = (x − μ) · r (rows × d) and r (rows) for the backward pass.
void pith_layernorm_forward(const float *x, const float *gamma, const float *beta, float *y, float *xhat,
                            float *rstd, long rows, long d, float epsilon);
void pith_layernorm_forward_generic(const float *x, const float *gamma, const float *beta, float *y, float *xhat,
                                    float *rstd, long rows, long d, float epsilon);
void pith_layernorm_forward_avx512(const float *x, const float *gamma, const float *beta, float *y, float *xhat,
                                   float *rstd, long rows, long d, float epsilon);

/// ∂x += r · (ĝ − mean(ĝ) − xhat · mean(ĝ ⊙ xhat)), ĝ = ∂y ⊙ γ, per row (gx may be NULL);
/// ∂γ += Σ_rows ∂y ⊙ xhat and ∂β += Σ_rows ∂y (each may be NULL).
void pith_layernorm_backward(const float *gy, const float *xhat, const float *rstd, const float *gamma,
                             float *gx, float *ggamma, float *gbeta, long rows, long d);
void pith_layernorm_backward_generic(const float *gy, const float *xhat, const float *rstd, const float *gamma,
                                     float *gx, float *ggamma, float *gbeta, long rows, long d);
void pith_layernorm_backward_avx512(const float *gy, const float *xhat, const float *rstd, const float *gamma,
                                    float *gx, float *ggamma, float *gbeta, long rows, long d);

/// Multi-head scaled dot-product attention, for the (sequence, head) pairs
/// [first, last) of `heads` heads. qkv: per sequence (t, 3·heads·dh), each token's
/// [q | k | v], head h at columns h·dh of each part (PyTorch's in_proj layout).
/// Per pair: S = Q Kᵀ / √dh (t × t), P = softmax over each row of S, O = P V, written
/// to out: per sequence (t, heads·dh), head h at columns h·dh (the merge). probs: P of
/// every pair, (sequences, heads, t, t). scratch: (t + 16)·(dh + 2) + t·t floats.
/// levels > 0: P rounded to multiples of 1/levels before O (quantization-aware training:
/// the integer attention's uint8 probabilities, levels 255); P saved so.
void pith_attention_forward(const float *qkv, float *out, float *probs, long levels, long first, long last, long heads,
                            long t, long dh, float *scratch);
void pith_attention_forward_generic(const float *qkv, float *out, float *probs, long levels, long first, long last, long heads,
                                    long t, long dh, float *scratch);
void pith_attention_forward_avx512(const float *qkv, float *out, float *probs, long levels, long first, long last, long heads,
                                   long t, long dh, float *scratch);

/// Backward of pith_attention_forward for the pairs [first, last): with ∂O from gout,
///   ∂P = ∂O Vᵀ, ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P)) / √dh,
///   ∂Q = ∂S K, ∂K = ∂Sᵀ Q, ∂V = Pᵀ ∂O, added into gqkv (same layout as qkv).
/// scratch: (t + 16)·(dh + 2) + t·t floats.
void pith_attention_backward(const float *qkv, const float *probs, const float *gout, float *gqkv, long first,
                             long last, long heads, long t, long dh, float *scratch);
void pith_attention_backward_generic(const float *qkv, const float *probs, const float *gout, float *gqkv, long first,
                                     long last, long heads, long t, long dh, float *scratch);
void pith_attention_backward_avx512(const float *qkv, const float *probs, const float *gout, float *gqkv, long first,
                                    long last, long heads, long t, long dh, float *scratch);
#endif
