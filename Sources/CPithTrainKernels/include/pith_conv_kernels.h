#ifndef PITH_CONV_KERNELS_H
#define PITH_CONV_KERNELS_H
/// Index-heavy float32 kernels of convolution and pooling for training, each with a
/// portable reference (`*_generic`) and an AVX-512 twin (`*_avx512`) that gives identical
/// results; the plain name dispatches (see pith_train_kernels.h).

/// One convolution's geometry, NCHW, square or not: input (c, h, w), kernel (kh, kw),
/// output (oh, ow) = ((h + 2·padding − kh)/stride + 1, (w + 2·padding − kw)/stride + 1).
typedef struct {
    long c, h, w, kh, kw, oh, ow, stride, padding;
} pith_conv_geometry;

/// col[(ci·kh + u)·kw + v][i·ow + j] = image[ci][i·stride − padding + u][j·stride − padding + v],
/// zero outside the image. image: (c, h, w); col: (c·kh·kw, oh·ow).
void pith_im2col(const float *image, float *col, const pith_conv_geometry *g);
void pith_im2col_generic(const float *image, float *col, const pith_conv_geometry *g);
void pith_im2col_avx512(const float *image, float *col, const pith_conv_geometry *g);

/// The adjoint of im2col: image[...] += col[...] for every in-image entry.
void pith_col2im(const float *col, float *image, const pith_conv_geometry *g);
void pith_col2im_generic(const float *col, float *image, const pith_conv_geometry *g);
void pith_col2im_avx512(const float *col, float *image, const pith_conv_geometry *g);

/// out[r] += Σ_j x[r·cols + j] for r < rows, summed in 16 interleaved partial sums
/// (lane j mod 16) then added lane 0 to 15, so every path rounds the same way.
void pith_row_sums_add(const float *x, long rows, long cols, float *out);
void pith_row_sums_add_generic(const float *x, long rows, long cols, float *out);
void pith_row_sums_add_avx512(const float *x, long rows, long cols, float *out);

/// Max pooling over planes of (h, w) with a k×k window and stride s, no padding:
/// y[p][i][j] = max of the window, argmax[p·oh·ow + i·ow + j] = flat index into x of its
/// first maximal element.
void pith_maxpool_forward(const float *x, float *y, int *argmax, long planes, long h, long w,
                          long k, long s, long oh, long ow);
void pith_maxpool_forward_generic(const float *x, float *y, int *argmax, long planes, long h, long w,
                                  long k, long s, long oh, long ow);
void pith_maxpool_forward_avx512(const float *x, float *y, int *argmax, long planes, long h, long w,
                                 long k, long s, long oh, long ow);
#endif
