// Running a few tasks at once on POSIX threads (the runtime splits a batch this way).
#ifndef PITH_PARALLEL_H
#define PITH_PARALLEL_H
#include <stdint.h>

typedef void (*pith_task_fn)(void *context, int32_t index);

/// A pool of `threads` − 1 worker threads kept between calls (starting threads per call
/// costs tens of microseconds, more than a small batch takes). NULL where threads cannot
/// be started; pith_pool_run then runs the tasks on the caller.
typedef struct pith_pool pith_pool;
pith_pool *pith_pool_create(int32_t threads);
/// Calls fn(context, i) once for each i in 0..<count, on the caller and the pool's
/// workers, whichever claims i first (a worker slow to wake leaves its share to the
/// caller); returns when all have returned. With no pool the tasks run one after
/// another. One caller at a time.
void pith_pool_run(pith_pool *pool, int32_t count, pith_task_fn fn, void *context);
void pith_pool_destroy(pith_pool *pool);

#endif
