/// The toolchain's one softmax: softmax(z/T) of one row of `c` values into `out` (which
/// may be `z` itself),
///
///     q_j = e^(z_j/T − m) / s,  m = max_j z_j/T,  s = Σ_j e^(z_j/T − m),
///
/// returning (m, log s), so that log q_j = z_j/T − m − log s exactly where q_j underflows.
/// The ops below, the cross-entropy loss (PithNN) and the soft targets of distillation
/// (PithDistill) all run it; the runtime has its own in C (`pith_softmax_f32`, the same
/// arithmetic at T = 1). T = 1 divides by 1, which is exact.
public func softmaxRow(_ z: UnsafePointer<Float>, _ c: Int, temperature t: Float = 1, into out: UnsafeMutablePointer<Float>) -> (max: Float, logSum: Float) {
    var m = -Float.infinity
    for j in 0..<c { m = max(m, z[j] / t) }
    var s: Float = 0
    for j in 0..<c { let e = _exp(z[j] / t - m); out[j] = e; s += e }
    for j in 0..<c { out[j] /= s }
    return (m, _log(s))
}

/// Softmax over the last axis: y_i = e^(x_i − m) / Σ_j e^(x_j − m), m = max_j x_j.
/// x: (…, C) → (…, C). Backward: ∂x_i = y_i (∂y_i − Σ_j ∂y_j y_j).
public func softmax(_ x: Tensor) -> Tensor {
    rowwise(x, forward: { xs, y, c in _ = softmaxRow(xs, c, into: y) }, backward: { y, g, gx, c in
        var dot: Float = 0
        for j in 0..<c { dot += g[j] * y[j] }
        for j in 0..<c { gx[j] += y[j] * (g[j] - dot) }
    })
}

/// Log-softmax over the last axis: y_i = x_i − m − log Σ_j e^(x_j − m).
/// x: (…, C) → (…, C). Backward: ∂x_i = ∂y_i − softmax(x)_i · Σ_j ∂y_j.
public func logSoftmax(_ x: Tensor) -> Tensor {
    rowwise(x, forward: { xs, y, c in
        let (m, logSum) = softmaxRow(xs, c, into: y)  // y holds the softmax until overwritten
        let lse = m + logSum
        for j in 0..<c { y[j] = xs[j] - lse }
    }, backward: { y, g, gx, c in
        var sum: Float = 0
        for j in 0..<c { sum += g[j] }
        for j in 0..<c { gx[j] += g[j] - _exp(y[j]) * sum }
    })
}

/// An op over the last axis of x: (…, C), row by row. `forward(x_row, y_row, C)`;
/// `backward(y_row, ∂y_row, ∂x_row, C)` adds into ∂x.
func rowwise(_ x: Tensor, forward: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
             backward: @escaping (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
    let c = x.shape.last ?? 1, rows = x.count / max(c, 1)
    let out = Tensor(opOutput: x.shape, parents: [x]) { out in
        for r in 0..<rows { backward(out.data + r * c, out.grad + r * c, x.grad + r * c, c) }
    }
    for r in 0..<rows { forward(x.data + r * c, out.data + r * c, c) }
    return out
}
