// The C API's header lives in include/pith.h; the functions are in Swift (Sources/PithC).
// This file gives the header-only target a translation unit and the thread-local error.
#include "pith.h"
#include <string.h>

static _Thread_local char last_error[512];

const char *pith_last_error(void) { return last_error; }

void pith_set_last_error(const char *message) {
    strncpy(last_error, message ? message : "", sizeof last_error - 1);
    last_error[sizeof last_error - 1] = 0;
}
