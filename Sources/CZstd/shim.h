// libzstd, for the compressed sections of .pith files (docs/FORMAT.md).
#include <zstd.h>
