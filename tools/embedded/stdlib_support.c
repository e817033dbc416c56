// What Embedded Swift's standard library asks of the platform beyond libc, for the
// Embedded build of pith-run (tools/build-runner): Float(String) parses with strtof in
// the C locale (this program never calls setlocale, so the C locale is the one in force).
#include <stdlib.h>

const char *_swift_stdlib_strtof_clocale(const char *nptr, float *outResult) {
    char *end;
    *outResult = strtof(nptr, &end);
    return end;
}
