import CPithTrainKernels

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

/// Element-wise op run by a vector kernel `forward(x, y, n)`, with the derivative given by
/// the output y (sigmoid, tanh) — or, with `backward`, by a kernel of its own.
private func vectorUnary(_ x: Tensor, _ forward: @escaping (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                         derivative: @escaping (_ y: Float) -> Float) -> Tensor {
    let n = x.count
    let out = Tensor(opOutput: x.shape, parents: [x]) { out in
        nonisolated(unsafe) let g = out.grad, gx = x.grad, ys = out.data
        parallelRanges(n, grain: 1 << 14) { lo, hi in
            for i in lo..<hi { gx[i] += g[i] * derivative(ys[i]) }
        }
    }
    nonisolated(unsafe) let xs = x.data, ys = out.data
    parallelRanges(n, grain: 1 << 14) { lo, hi in forward(xs + lo, ys + lo, hi - lo) }
    return out
}

/// GELU, exact form as in PyTorch's default: y = x · Φ(x) = x/2 · (1 + erf(x/√2)), not the
/// tanh approximation (`pith_gelu_forward`: erf to 1.5·10⁻⁷).
/// Backward: ∂x = ∂y · (Φ(x) + x · φ(x)), φ the standard normal density.
public func gelu(_ x: Tensor) -> Tensor {
    let n = x.count
    let out = Tensor(opOutput: x.shape, parents: [x]) { out in
        nonisolated(unsafe) let g = out.grad, gx = x.grad, xs = x.data
        parallelRanges(n, grain: 1 << 14) { lo, hi in pith_gelu_backward(xs + lo, g + lo, gx + lo, hi - lo) }
    }
    nonisolated(unsafe) let xs = x.data, ys = out.data
    parallelRanges(n, grain: 1 << 14) { lo, hi in pith_gelu_forward(xs + lo, ys + lo, hi - lo) }
    return out
}

/// tanh(x). Backward: ∂x = ∂y · (1 − y²).
public func tanh(_ x: Tensor) -> Tensor {
    vectorUnary(x, { pith_tanh_forward($0, $1, $2) }, derivative: { y in 1 - y * y })
}

/// σ(x) = 1 / (1 + e^(−x)), computed without overflow. Backward: ∂x = ∂y · y(1 − y).
public func sigmoid(_ x: Tensor) -> Tensor {
    vectorUnary(x, { pith_sigmoid_forward($0, $1, $2) }, derivative: { y in y * (1 - y) })
}
