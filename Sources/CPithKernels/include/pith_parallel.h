// Running a few tasks at once on POSIX threads (the runtime splits a batch this way).
#ifndef PITH_PARALLEL_H
#define PITH_PARALLEL_H
#include <stdint.h>

typedef void (*pith_task_fn)(void *context, int32_t index);

/// Calls fn(context, i) for i in 0..<count: i = 0 on the calling thread, the others on
/// threads started for the call; returns when all have returned. Where threads cannot be
/// started (or on targets without them) the tasks run one after another.
void pith_run_parallel(int32_t count, pith_task_fn fn, void *context);

#endif
