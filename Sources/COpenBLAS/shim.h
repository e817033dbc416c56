// CBLAS and OpenBLAS's thread control, from Debian's libopenblas-dev.
#include <cblas.h>
