// The POSIX and libm calls the .pith reader and writer need, as one clang module, so
// that they import the same way in normal and Embedded Swift (which has no Glibc
// overlay). errno and MAP_FAILED are macros Swift cannot import: small getters here.
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static inline int pith_errno(void) { return errno; }
static inline void *pith_map_failed(void) { return MAP_FAILED; }
// open(2) is variadic, which Swift cannot call: fixed-argument wrappers.
static inline int pith_open_read(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }
static inline int pith_open_write(const char *path) { return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); }
static inline int pith_is_regular(const struct stat *s) { return S_ISREG(s->st_mode); }
#include <time.h>

/// Monotonic time in nanoseconds.
static inline long long pith_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000ll + t.tv_nsec;
}
/// Flushes stdout: nonzero when anything written to it was lost (a full disk, a closed pipe).
static inline int pith_stdout_failed(void) { return fflush(stdout) != 0 || ferror(stdout) != 0; }
#include <sys/file.h>
/// open(2) for an atomic write's temporary: created with `mode` if absent, not truncated
/// (the caller truncates it once it holds the lock), never through a symbolic link.
static inline int pith_open_create(const char *path, unsigned mode) { return open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode); }
/// The process's umask (read by setting it and back).
static inline unsigned pith_umask(void) { mode_t m = umask(0); umask(m); return (unsigned)m; }
/// A folder, opened to fsync it after a rename.
static inline int pith_open_folder(const char *path) { return open(path, O_RDONLY | O_CLOEXEC); }
/// open(2) for reading that does not wait: a FIFO without a writer opens at once (and is
/// then refused as not a regular file) instead of blocking.
static inline int pith_open_read_nonblocking(const char *path) { return open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); }
static inline int pith_is_directory(const struct stat *s) { return S_ISDIR(s->st_mode); }
