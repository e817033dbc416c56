#if os(Linux)
import CMalloc
#endif

/// Keeps freed tensor buffers in the process heap for reuse.
///
/// A training step frees and re-allocates the same large buffers (im2col matrices of tens of
/// megabytes) every step. glibc serves blocks above its mmap threshold with fresh mappings,
/// so each step would page-fault through them again; raising the mmap and trim thresholds
/// makes the allocator hand back the same, already-mapped memory. Call once before training.
public enum Memory {
    public static func keepFreedBuffers() {
        #if os(Linux)
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
    }
}
