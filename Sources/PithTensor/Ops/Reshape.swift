/// The same values under a new shape with the same element count (row-major order kept).
/// A view: no copy, and the gradient flows to x through the shared buffer.
public func reshape(_ x: Tensor, _ shape: [Int]) -> Tensor {
    precondition(shape.reduce(1, *) == x.count, "reshape: \(x.shape) has \(x.count) elements, not \(shape)")
    return Tensor(viewOf: x, shape: shape)
}

/// (N, d1, d2, …) → (N, d1·d2·…), NCHW order kept, so weights mean what they mean elsewhere.
public func flatten(_ x: Tensor) -> Tensor {
    let n = x.shape.first ?? 1
    return reshape(x, [n, x.count / max(n, 1)])
}

/// Σ of all elements → a scalar of shape [1]. Backward: ∂x_i = ∂s.
public func sum(_ x: Tensor) -> Tensor {
    let n = x.count
    let out = Tensor(opOutput: [1], parents: [x]) { out in
        let g = out.grad[0], gx = x.grad
        for i in 0..<n { gx[i] += g }
    }
    var s: Double = 0
    for i in 0..<n { s += Double(x.data[i]) }
    out.data[0] = Float(s)
    return out
}

/// Mean of all elements → a scalar of shape [1]. Backward: ∂x_i = ∂m / n.
public func mean(_ x: Tensor) -> Tensor {
    let n = x.count
    let out = Tensor(opOutput: [1], parents: [x]) { out in
        let g = out.grad[0] / Float(n), gx = x.grad
        for i in 0..<n { gx[i] += g }
    }
    var s: Double = 0
    for i in 0..<n { s += Double(x.data[i]) }
    out.data[0] = Float(s / Double(n))
    return out
}
