import COpenBLAS
import CPithRuntimeKernels
#if canImport(Glibc)
import Glibc
#endif

/// Row-major single-precision GEMM through CBLAS:
/// C (M×N) = alpha · op(A) (M×K) · op(B) (K×N) + beta · C.
/// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored.
///
/// With more than one thread, a large product is cut along its longer side (N in steps of
/// 16 columns, or M) into one block per thread, and each thread calls single-threaded BLAS
/// on its block. Results are repeatable for a given thread count; across thread counts they
/// may differ in the last bits, since BLAS picks its kernels by block size. (OpenBLAS's own
/// pool is kept at one thread: its spinning workers would fight Pith's threads for cores.)
public func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    let threads = Threads.count
    if threads == 1 || m * n * k < 1 << 20 {
        sgemmSerial(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    nonisolated(unsafe) let a = a, b = b, c = c
    if n >= m {
        let blocks = min(threads, max(1, n / 16))
        parallelFor(blocks) { t in
            let lo = (n * t / blocks) & ~15, hi = t == blocks - 1 ? n : (n * (t + 1) / blocks) & ~15
            if hi <= lo { return }
            sgemmSerial(transA, transB, m, hi - lo, k, alpha, a, lda,
                       transB ? b + lo * ldb : b + lo, ldb, beta, c + lo, ldc)
        }
    } else {
        let blocks = min(threads, m)
        parallelFor(blocks) { t in
            let lo = m * t / blocks, hi = m * (t + 1) / blocks
            sgemmSerial(transA, transB, hi - lo, n, k, alpha, transA ? a + lo : a + lo * lda, lda,
                       b, ldb, beta, c + lo * ldc, ldc)
        }
    }
}

/// One single-threaded CBLAS call (for callers that spread work over threads themselves).
@inline(__always)
func sgemmSerial(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                        _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                        _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// How many threads Pith's own loops and BLAS use.
public enum Threads {
    nonisolated(unsafe) private static var current = 1

    /// The number of threads in use.
    public static var count: Int { current }

    /// Sets the thread count for Pith's parallel loops and GEMMs (at least 1).
    public static func set(_ n: Int) {
        current = max(1, n)
        openblas_set_num_threads(1)
    }
}

/// The name of the kernel family OpenBLAS chose for this CPU (e.g. "Haswell", "SkylakeX").
public var blasCoreName: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
}

/// The OpenBLAS kernel family `OPENBLAS_CORETYPE` should name on this machine, when
/// OpenBLAS chose its generic SSE3 family ("Prescott") on a CPU it does not recognise
/// (OpenBLAS 0.3.21 predates Sapphire and Emerald Rapids and Zen 5) although the CPU has
/// AVX-512 ("SkylakeX") or AVX2 ("Haswell"); GEMMs then run several times slower. nil
/// when OpenBLAS chose a tuned family, or `OPENBLAS_CORETYPE` is already set (a machine's
/// setting is left as it is). The family is picked when the library loads, so a program
/// that wants it sets the variable and starts again (see `pith`'s main).
public var blasPreferredCore: String? {
    guard getenv("OPENBLAS_CORETYPE") == nil, blasCoreName.lowercased() == "prescott" else { return nil }
    if pith_cpu_has_avx512() != 0 { return "SkylakeX" }
    if pith_cpu_has_avx2() != 0 { return "Haswell" }
    return nil
}
