// What the board gives the bare-metal runtime image (tools/embedded/bare_metal_start.c):
// the model's bytes and a place to report the result.
#include <stddef.h>
#include <stdint.h>

/// The model as flashed into the linker script's MODEL region: a little-endian u32 byte
/// count, then the .pith file (packed with `pith pack --raw`: no zstd on the device).
/// NULL and 0 when the region holds no plausible count (erased flash: 0xFFFFFFFF).
const uint8_t *pith_bare_model(void);
size_t pith_bare_model_size(void);
/// The run's outcome: status 0 and the winning class, or a non-zero status (1: the file
/// was refused, 2: the runtime refused it or the run failed, 3: the stack protector
/// fired) and 0. Kept in pith_bare_status and pith_bare_value for a debugger or a test
/// harness to read.
void pith_bare_report(int32_t status, int32_t value);
