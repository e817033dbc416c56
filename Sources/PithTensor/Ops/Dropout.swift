/// Inverted dropout: in training each element is zeroed with probability p and the rest
/// scaled by 1/(1−p), so inference needs no rescaling. Not training, or p == 0: identity.
/// Backward: ∂x = ∂y · mask / (1−p).
public func dropout(_ x: Tensor, p: Float, training: Bool, rng: inout PithRandom) -> Tensor {
    precondition(p >= 0 && p < 1, "dropout: p = \(p) outside [0, 1)")
    if !training || p == 0 { return reshape(x, x.shape) }
    let n = x.count, scale = 1 / (1 - p)
    var mask = [Float](repeating: 0, count: n)
    for i in 0..<n { mask[i] = rng.nextFloat() >= p ? scale : 0 }
    let out = Tensor(opOutput: x.shape, parents: [x]) { out in
        let g = out.grad, gx = x.grad
        for i in 0..<n { gx[i] += g[i] * mask[i] }
    }
    for i in 0..<n { out.data[i] = x.data[i] * mask[i] }
    return out
}
