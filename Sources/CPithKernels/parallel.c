// See include/pith_parallel.h.
#include "include/pith_parallel.h"

#if defined(__linux__) || defined(__APPLE__)
#include <pthread.h>

typedef struct {
    pith_task_fn fn;
    void *context;
    int32_t index;
} task;

static void *start(void *arg) {
    task *t = arg;
    t->fn(t->context, t->index);
    return 0;
}

void pith_run_parallel(int32_t count, pith_task_fn fn, void *context) {
    enum { MAX = 64 };
    pthread_t threads[MAX];
    task tasks[MAX];
    int started[MAX] = {0};
    if (count > MAX) count = MAX;
    for (int32_t i = 1; i < count; i++) {
        tasks[i] = (task){fn, context, i};
        started[i] = pthread_create(&threads[i], 0, start, &tasks[i]) == 0;
    }
    fn(context, 0);
    for (int32_t i = 1; i < count; i++) {
        if (started[i]) pthread_join(threads[i], 0);
        else fn(context, i);
    }
}
#else
void pith_run_parallel(int32_t count, pith_task_fn fn, void *context) {
    for (int32_t i = 0; i < count; i++) fn(context, i);
}
#endif
