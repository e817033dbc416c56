// The files tools/embedded-check links into the bare-metal-configuration test program
// with `ld -r -b binary` (symbols _binary_NAME_start / _end), as functions Swift can call.
#include <stdint.h>
#define PITH_BLOB(name) \
    extern const uint8_t _binary_##name##_start[], _binary_##name##_end[]; \
    static inline const uint8_t *pith_blob_##name##_start(void) { return _binary_##name##_start; } \
    static inline const uint8_t *pith_blob_##name##_end(void) { return _binary_##name##_end; }
PITH_BLOB(model)
PITH_BLOB(images)
PITH_BLOB(labels)
PITH_BLOB(compressed)
