import CPithTrainKernels

/// Element-wise op with derivative given by the input x and output y.
private func unary(_ x: Tensor, _ f: (Float) -> Float,
                   derivative: @escaping (_ x: Float, _ y: Float) -> Float) -> Tensor {
    let out = Tensor(opOutput: x.shape, parents: [x]) { out in
        let g = out.grad, gx = x.grad
        for i in 0..<x.count { gx[i] += g[i] * derivative(x.data[i], out.data[i]) }
    }
    for i in 0..<x.count { out.data[i] = f(x.data[i]) }
    return out
}

/// max(x, 0). Backward: ∂x = ∂y · [x > 0].
public func relu(_ x: Tensor) -> Tensor {
    let n = x.count
    let out = Tensor(opOutput: x.shape, parents: [x]) { out in
        nonisolated(unsafe) let g = out.grad, gx = x.grad, xs = x.data
        parallelRanges(n) { lo, hi in pith_relu_backward(xs + lo, g + lo, gx + lo, hi - lo) }
    }
    nonisolated(unsafe) let xs = x.data, ys = out.data
    parallelRanges(n) { lo, hi in pith_relu_forward(xs + lo, ys + lo, hi - lo) }
    return out
}

/// GELU, exact form as in PyTorch's default: y = x · Φ(x) = x/2 · (1 + erf(x/√2)).
/// Backward: ∂x = ∂y · (Φ(x) + x · φ(x)), φ the standard normal density.
public func gelu(_ x: Tensor) -> Tensor {
    let invSqrt2: Float = 0.70710678118654752
    let invSqrt2Pi: Float = 0.39894228040143268
    return unary(x, { v in 0.5 * v * (1 + _erf(v * invSqrt2)) }, derivative: { v, _ in
        0.5 * (1 + _erf(v * invSqrt2)) + v * invSqrt2Pi * _exp(-0.5 * v * v)
    })
}

/// tanh(x). Backward: ∂x = ∂y · (1 − y²).
public func tanh(_ x: Tensor) -> Tensor {
    unary(x, { _tanh($0) }, derivative: { _, y in 1 - y * y })
}

/// σ(x) = 1 / (1 + e^(−x)), computed without overflow. Backward: ∂x = ∂y · y(1 − y).
public func sigmoid(_ x: Tensor) -> Tensor {
    unary(x, { v in v >= 0 ? 1 / (1 + _exp(-v)) : _exp(v) / (1 + _exp(v)) },
          derivative: { _, y in y * (1 - y) })
}
