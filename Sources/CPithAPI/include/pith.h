/* Pith's C API: load a .pith model and run it. Link with the PithC library, or with
 * libpith.a (tools/build-libpith: `cc prog.c $(pkg-config --cflags --libs pith)`, also
 * built for the microcontroller targets, where pith_open is absent).
 *
 *   pith_model *m = pith_open("model.pith", 1);
 *   if (!m) { fprintf(stderr, "%s\n", pith_last_error()); return 1; }
 *   float x[784], y[10];
 *   if (pith_run(m, x, 784, 1, y, 10) != 0) fprintf(stderr, "%s\n", pith_last_error());
 *   pith_close(m);
 *
 * Inputs and outputs are float32, batch-major: batch × pith_input_size(m) values in,
 * batch × pith_output_size(m) out. A model whose graph takes or gives 8-bit values is
 * quantized and dequantized at the edges with the graph's own scales. A successful
 * pith_run does not allocate.
 *
 * Errors. Every function but pith_last_error sets this thread's last error: "" when it
 * succeeds, one line saying what failed when it fails (NULL from pith_open, -1 from the
 * others). So pith_last_error never shows an earlier failure after a later success.
 * Messages longer than 1,023 bytes are cut on a UTF-8 character boundary and end in "…".
 *
 * A model in memory (in flash, or loaded by the caller) is read in place:
 *
 *   static uint8_t arena[ARENA_BYTES];   // at least pith_arena_size(model, size, 1)
 *   pith_model *m = pith_open_memory_arena(model, size, 1, arena, sizeof arena);
 *
 * Ownership. pith_open returns a model that the caller owns until pith_close (once;
 * pith_close(NULL) does nothing). The library keeps no pointer to the caller's buffers
 * after a call returns. pith_last_error's string belongs to the library: it stays valid,
 * and unchanged, until the next call of this API on the same thread.
 *
 * Threads. One model is used by one thread at a time (calls on the same model from two
 * threads at once must be serialized by the caller). Distinct models may run on distinct
 * threads at the same time. The last error is per thread.
 */
#ifndef PITH_H
#define PITH_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pith_model pith_model;

/* Opens and checks the file, prepares the graph for batches of 1...max_batch samples.
 * NULL on failure (see pith_last_error). */
pith_model *pith_open(const char *path, int32_t max_batch);

/* The model's bytes, read in place: the caller keeps them alive and unchanged until
 * pith_close. The weights are packed into memory the library allocates (malloc); so are
 * the activations, unless the caller gives an arena. NULL on failure. */
pith_model *pith_open_memory(const void *bytes, size_t size, int32_t max_batch);

/* Bytes of the arena pith_open_memory_arena needs for this model and batch size (at any
 * alignment); -1 on failure. */
int64_t pith_arena_size(const void *bytes, size_t size, int32_t max_batch);

/* As pith_open_memory, with the activations planned into the caller's arena of
 * arena_size bytes, which it keeps for the model's life. One smaller than
 * pith_arena_size is refused, naming the bytes it needs. */
pith_model *pith_open_memory_arena(const void *bytes, size_t size, int32_t max_batch,
                                   void *arena, size_t arena_size);

/* Rank of the per-sample input (output) shape; its first min(rank, max_dims)
 * dimensions go to dims (which may be NULL when max_dims is 0). -1 when m is NULL. */
int32_t pith_input_shape(const pith_model *m, int64_t *dims, int32_t max_dims);
int32_t pith_output_shape(const pith_model *m, int64_t *dims, int32_t max_dims);

/* Values per sample; -1 when m is NULL. */
int64_t pith_input_size(const pith_model *m);
int64_t pith_output_size(const pith_model *m);

/* Runs batch samples: reads batch × pith_input_size(m) floats of input, which holds
 * input_count floats, and writes batch × pith_output_size(m) floats to output, which
 * has room for output_count floats. 0 on success; -1 on failure (a NULL argument, a
 * batch outside 1...max_batch, a buffer too short for the batch, a non-finite input
 * value), with nothing written to output; see pith_last_error. */
int32_t pith_run(pith_model *m, const float *input, int64_t input_count, int32_t batch,
                 float *output, int64_t output_count);

/* Classes the model names (its labels), 0 when it names none; -1 when m is NULL. */
int32_t pith_class_count(const pith_model *m);

/* Class index's name, UTF-8, owned by the model until pith_close; NULL when index is
 * outside 0...pith_class_count(m) - 1. */
const char *pith_class_label(const pith_model *m, int32_t index);

/* What an 8-bit input code (a grey level) is multiplied by to give the model's float
 * input, as pith-run does: the file's input.scale, 1 when it gives none; -1 when m is NULL. */
double pith_input_scale(const pith_model *m);

/* The library's version ("0.19.0") and the .pith format version it reads. */
const char *pith_version(void);
int32_t pith_format_version(void);

/* The last failure of this API on this thread, as one line of UTF-8; "" when the last
 * call succeeded (or none was made). Never NULL. */
const char *pith_last_error(void);

/* Frees the model. */
void pith_close(pith_model *m);

#ifdef __cplusplus
}
#endif
#endif
