/// The mean over the token axis. x: (B, T, D) → (B, D), y_b = (1/T) Σ_t x_{b,t}.
/// Backward: ∂x_{b,t} = ∂y_b / T.
public func meanTokens(_ x: Tensor) -> Tensor {
    precondition(x.shape.count == 3 && x.shape[1] > 0, "meanTokens: input \(x.shape) is not (B, T, D)")
    let batch = x.shape[0], steps = x.shape[1], d = x.shape[2]
    let scale = 1 / Float(steps)
    let out = Tensor(opOutput: [batch, d], parents: [x]) { out in
        let g = out.grad, gx = x.grad
        for b in 0..<batch {
            for t in 0..<steps {
                let row = gx + (b * steps + t) * d, gb = g + b * d
                for j in 0..<d { row[j] += gb[j] * scale }
            }
        }
    }
    let y = out.data
    for b in 0..<batch {
        let yb = y + b * d
        yb.update(repeating: 0, count: d)
        for t in 0..<steps {
            let row = x.data + (b * steps + t) * d
            for j in 0..<d { yb[j] += row[j] }
        }
        for j in 0..<d { yb[j] *= scale }
    }
    return out
}
