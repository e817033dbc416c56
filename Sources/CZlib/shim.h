// zlib, for gzip-compressed IDX files and the embedded digits set.
#include <zlib.h>
