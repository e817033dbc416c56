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

/// Fully connected layer: y = x · wᵀ + bias (+ residual), the weight stored (out, in) as in
/// PyTorch. x: (B, in), w: (out, in), bias: (out), residual: (B, out) → y: (B, out).
/// `residual` adds a skip connection in the same pass (a Transformer block's x + f(x)),
/// with the same rounding as adding it afterwards: (x · wᵀ + bias) + residual.
///
/// Backward: ∂x = ∂y · w, ∂w = ∂yᵀ · x, ∂bias = Σ_batch ∂y, ∂residual = ∂y.
public func linear(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, residual: Tensor? = nil) -> Tensor {
    precondition(x.shape.count == 2 && w.shape.count == 2 && x.shape[1] == w.shape[1],
                 "linear: input \(x.shape) does not fit weight \(w.shape)")
    let batch = x.shape[0], nIn = w.shape[1], nOut = w.shape[0]
    if let bias { precondition(bias.shape == [nOut], "linear: bias \(bias.shape), expected [\(nOut)]") }
    if let residual { precondition(residual.count == batch * nOut, "linear: residual \(residual.shape), expected [\(batch), \(nOut)]") }
    let parents = [x, w] + (bias.map { [$0] } ?? []) + (residual.map { [$0] } ?? [])
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
        if let bias, bias.requiresGrad { addColumnSums(dy, rows: batch, columns: nOut, into: bias.grad) }
        if let residual, residual.requiresGrad {
            let gr = residual.grad
            for i in 0..<batch * nOut { gr[i] += dy[i] }
        }
    }
    let y = out.data
    if let bias {
        for r in 0..<batch { (y + r * nOut).update(from: bias.data, count: nOut) }
    }
    sgemm(transB: true, m: batch, n: nOut, k: nIn, a: x.data, lda: nIn, b: w.data, ldb: nIn,
          beta: bias == nil ? 0 : 1, c: y, ldc: nOut)
    if let residual {
        let r = residual.data
        for i in 0..<batch * nOut { y[i] = y[i] + r[i] }
    }
    return out
}
