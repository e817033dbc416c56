/* Pith's C API: load a .pith model and run it. Link with the PithC library.
 *
 *   pith_model *m = pith_open("model.pith", 1);
 *   if (!m) { fprintf(stderr, "%s\n", pith_last_error()); return 1; }
 *   float x[784], y[10];
 *   if (pith_run(m, x, 1, y) != 0) fprintf(stderr, "%s\n", pith_last_error());
 *   pith_close(m);
 *
 * Inputs and outputs are float32, batch-major: batch × pith_input_size(m) values in,
 * batch × pith_output_size(m) out. A model whose graph takes or gives 8-bit values is
 * quantized and dequantized at the edges with the graph's own scales. No call allocates
 * after pith_open. A pith_model is not safe to use from two threads at once.
 */
#ifndef PITH_H
#define PITH_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pith_model pith_model;

/* Opens and checks the file, prepares the graph for batches of up to max_batch samples.
 * NULL on failure (see pith_last_error). */
pith_model *pith_open(const char *path, int32_t max_batch);

/* Rank of the per-sample input (output) shape; its dimensions go to dims (up to
 * max_dims of them). */
int32_t pith_input_shape(const pith_model *m, int64_t *dims, int32_t max_dims);
int32_t pith_output_shape(const pith_model *m, int64_t *dims, int32_t max_dims);

/* Values per sample. */
int64_t pith_input_size(const pith_model *m);
int64_t pith_output_size(const pith_model *m);

/* Runs batch samples. 0 on success, -1 on failure (see pith_last_error). */
int32_t pith_run(pith_model *m, const float *input, int32_t batch, float *output);

/* The last failure on this thread, as one line; "" when none. */
const char *pith_last_error(void);

void pith_close(pith_model *m);

#ifdef __cplusplus
}
#endif
#endif
