/// Matrix product. a: (M, K), b: (K, N) → (M, N).
///
/// Backward: ∂a = ∂c · bᵀ, ∂b = aᵀ · ∂c.
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape.count == 2 && b.shape.count == 2 && a.shape[1] == b.shape[0],
                 "matmul: shapes \(a.shape) and \(b.shape) do not fit")
    let m = a.shape[0], k = a.shape[1], n = b.shape[1]
    let out = Tensor(opOutput: [m, n], parents: [a, b]) { out in
        if a.requiresGrad {
            sgemm(transB: true, m: m, n: k, k: n, a: out.grad, lda: n, b: b.data, ldb: n,
                  beta: 1, c: a.grad, ldc: k)
        }
        if b.requiresGrad {
            sgemm(transA: true, m: k, n: n, k: m, a: a.data, lda: k, b: out.grad, ldb: n,
                  beta: 1, c: b.grad, ldc: n)
        }
    }
    sgemm(m: m, n: n, k: k, a: a.data, lda: k, b: b.data, ldb: n, c: out.data, ldc: n)
    return out
}

/// Fully connected layer: y = x · wᵀ + bias, the weight stored (out, in) as in PyTorch.
/// x: (B, in), w: (out, in), bias: (out) → y: (B, out).
///
/// Backward: ∂x = ∂y · w, ∂w = ∂yᵀ · x, ∂bias = Σ_batch ∂y.
public func linear(_ x: Tensor, _ w: Tensor, _ bias: Tensor?) -> Tensor {
    precondition(x.shape.count == 2 && w.shape.count == 2 && x.shape[1] == w.shape[1],
                 "linear: input \(x.shape) does not fit weight \(w.shape)")
    let batch = x.shape[0], nIn = w.shape[1], nOut = w.shape[0]
    if let bias { precondition(bias.shape == [nOut], "linear: bias \(bias.shape), expected [\(nOut)]") }
    let parents = bias.map { [x, w, $0] } ?? [x, w]
    let out = Tensor(opOutput: [batch, nOut], parents: parents) { out in
        let dy = out.grad
        if x.requiresGrad {
            sgemm(m: batch, n: nIn, k: nOut, a: dy, lda: nOut, b: w.data, ldb: nIn,
                  beta: 1, c: x.grad, ldc: nIn)
        }
        if w.requiresGrad {
            sgemm(transA: true, m: nOut, n: nIn, k: batch, a: dy, lda: nOut, b: x.data, ldb: nIn,
                  beta: 1, c: w.grad, ldc: nIn)
        }
        if let bias, bias.requiresGrad {
            let db = bias.grad
            for r in 0..<batch {
                let row = dy + r * nOut
                for j in 0..<nOut { db[j] += row[j] }
            }
        }
    }
    let y = out.data
    if let bias {
        for r in 0..<batch { (y + r * nOut).update(from: bias.data, count: nOut) }
    }
    sgemm(transB: true, m: batch, n: nOut, k: nIn, a: x.data, lda: nIn, b: w.data, ldb: nIn,
          beta: bias == nil ? 0 : 1, c: y, ldc: nOut)
    return out
}
