/// Softmax over the last axis: y_i = e^(x_i − m) / Σ_j e^(x_j − m), m = max_j x_j.
/// x: (…, C) → (…, C). Backward: ∂x_i = y_i (∂y_i − Σ_j ∂y_j y_j).
public func softmax(_ x: Tensor) -> Tensor {
    let c = x.shape.last ?? 1, rows = x.count / max(c, 1)
    let out = Tensor(opOutput: x.shape, parents: [x]) { out in
        for r in 0..<rows {
            let y = out.data + r * c, g = out.grad + r * c, gx = x.grad + r * c
            var dot: Float = 0
            for j in 0..<c { dot += g[j] * y[j] }
            for j in 0..<c { gx[j] += y[j] * (g[j] - dot) }
        }
    }
    for r in 0..<rows {
        let xs = x.data + r * c, y = out.data + r * c
        var m = -Float.infinity
        for j in 0..<c { m = max(m, xs[j]) }
        var sum: Float = 0
        for j in 0..<c { y[j] = _exp(xs[j] - m); sum += y[j] }
        let inv = 1 / sum
        for j in 0..<c { y[j] *= inv }
    }
    return out
}

/// Log-softmax over the last axis: y_i = x_i − m − log Σ_j e^(x_j − m).
/// x: (…, C) → (…, C). Backward: ∂x_i = ∂y_i − softmax(x)_i · Σ_j ∂y_j.
public func logSoftmax(_ x: Tensor) -> Tensor {
    let c = x.shape.last ?? 1, rows = x.count / max(c, 1)
    let out = Tensor(opOutput: x.shape, parents: [x]) { out in
        for r in 0..<rows {
            let y = out.data + r * c, g = out.grad + r * c, gx = x.grad + r * c
            var sum: Float = 0
            for j in 0..<c { sum += g[j] }
            for j in 0..<c { gx[j] += g[j] - _exp(y[j]) * sum }
        }
    }
    for r in 0..<rows {
        let xs = x.data + r * c, y = out.data + r * c
        var m = -Float.infinity
        for j in 0..<c { m = max(m, xs[j]) }
        var sum: Float = 0
        for j in 0..<c { sum += _exp(xs[j] - m) }
        let lse = m + _log(sum)
        for j in 0..<c { y[j] = xs[j] - lse }
    }
    return out
}
