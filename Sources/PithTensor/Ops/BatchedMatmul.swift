/// Batched matrix product. a: (N, M, K), b: (N, K, P) → (N, M, P), c_n = a_n · b_n.
///
/// Backward: ∂a_n = ∂c_n · b_nᵀ, ∂b_n = a_nᵀ · ∂c_n.
public func batchedMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape.count == 3 && b.shape.count == 3 && a.shape[0] == b.shape[0] && a.shape[2] == b.shape[1],
                 "batchedMatmul: shapes \(a.shape) and \(b.shape) do not fit")
    let n = a.shape[0], m = a.shape[1], k = a.shape[2], p = b.shape[2]
    let out = Tensor(opOutput: [n, m, p], parents: [a, b]) { out in
        for i in 0..<n {
            let g = out.grad + i * m * p
            if a.requiresGrad {
                sgemm(transB: true, m: m, n: k, k: p, a: g, lda: p, b: b.data + i * k * p, ldb: p,
                      beta: 1, c: a.grad + i * m * k, ldc: k)
            }
            if b.requiresGrad {
                sgemm(transA: true, m: k, n: p, k: m, a: a.data + i * m * k, lda: k, b: g, ldb: p,
                      beta: 1, c: b.grad + i * k * p, ldc: p)
            }
        }
    }
    for i in 0..<n {
        sgemm(m: m, n: p, k: k, a: a.data + i * m * k, lda: k, b: b.data + i * k * p, ldb: p,
              c: out.data + i * m * p, ldc: p)
    }
    return out
}
