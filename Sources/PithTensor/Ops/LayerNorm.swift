import CPithTrainKernels

/// Layer normalization over the last axis (Ba et al. 2016; PyTorch's `nn.LayerNorm`).
/// x: (…, D), gamma γ, beta β: (D) → (…, D):
///
///     μ = mean(x),  σ² = mean((x − μ)²) (biased),  y = (x − μ) / √(σ² + ε) · γ + β.
///
/// Backward, with x̂ = (x − μ)/√(σ² + ε), ĝ = ∂y ⊙ γ and r = 1/√(σ² + ε):
/// ∂x = r · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)), ∂γ = Σ_rows ∂y ⊙ x̂, ∂β = Σ_rows ∂y.
public func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, epsilon: Float = 1e-5) -> Tensor {
    let d = x.shape.last ?? 0
    precondition(d > 0 && gamma.shape == [d] && beta.shape == [d],
                 "layerNorm: input \(x.shape) does not fit gamma \(gamma.shape) and beta \(beta.shape)")
    let rows = x.count / d
    let xhat = Tensor(uninitialized: x.shape), rstd = Tensor(uninitialized: [rows])
    let out = Tensor(opOutput: x.shape, parents: [x, gamma, beta]) { out in
        pith_layernorm_backward(out.grad, xhat.data, rstd.data, gamma.data, x.requiresGrad ? x.grad : nil,
                                gamma.requiresGrad ? gamma.grad : nil, beta.requiresGrad ? beta.grad : nil, rows, d)
    }
    nonisolated(unsafe) let xs = x.data, ys = out.data, h = xhat.data, r = rstd.data, gm = gamma.data, bt = beta.data
    parallelRanges(rows, grain: 256) { lo, hi in
        pith_layernorm_forward(xs + lo * d, gm, bt, ys + lo * d, h + lo * d, r + lo, hi - lo, d, epsilon)
    }
    return out
}
