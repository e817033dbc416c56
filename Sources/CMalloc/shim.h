// glibc's allocator tuning (mallopt), for the training toolchain only.
#if defined(__linux__)
#include <malloc.h>
#endif
