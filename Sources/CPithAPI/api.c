// The C API's header lives in include/pith.h; the functions are in Swift (Sources/PithC).
// This file gives the header-only target a translation unit and the thread-local error.
#include "pith.h"
#include <string.h>

static _Thread_local char last_error[1024];

const char *pith_last_error(void) { return last_error; }

/* Copies message (NULL: "") into this thread's error. One that does not fit is cut
 * before the first byte that does not fit, moved back past UTF-8 continuation bytes
 * (10xxxxxx) so that no character is split, and ends in "…". */
void pith_set_last_error(const char *message) {
    static const char ellipsis[] = "\xE2\x80\xA6";
    size_t n = message ? strlen(message) : 0;
    if (n < sizeof last_error) {
        if (n) memcpy(last_error, message, n);
        last_error[n] = 0;
        return;
    }
    size_t keep = sizeof last_error - sizeof ellipsis;
    while (keep > 0 && ((unsigned char)message[keep] & 0xC0) == 0x80) keep--;
    memcpy(last_error, message, keep);
    memcpy(last_error + keep, ellipsis, sizeof ellipsis);
}
