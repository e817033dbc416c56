import COpenBLAS

/// Row-major single-precision GEMM through CBLAS:
/// C (M×N) = alpha · op(A) (M×K) · op(B) (K×N) + beta · C.
/// `lda`, `ldb`, `ldc` are the row strides of A, B and C as stored.
@inline(__always)
public func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                  alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                  b: UnsafePointer<Float>, ldb: Int,
                  beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    if m == 0 || n == 0 { return }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// How many threads Pith's own loops and BLAS use.
public enum Threads {
    nonisolated(unsafe) private static var current = 1

    /// The number of threads in use.
    public static var count: Int { current }

    /// Sets the thread count for BLAS and for Pith's parallel loops (at least 1).
    public static func set(_ n: Int) {
        current = max(1, n)
        openblas_set_num_threads(Int32(current))
    }
}

/// The name of the kernel family OpenBLAS chose for this CPU (e.g. "Haswell", "SkylakeX").
public var blasCoreName: String {
    guard let name = openblas_get_corename() else { return "unknown" }
    return String(cString: name)
}
