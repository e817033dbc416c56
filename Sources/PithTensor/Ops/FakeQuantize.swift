/// Fake quantization for quantization-aware training: values pass through the grid an
/// integer model will use, and gradients pass straight through (Bengio et al. 2013's
/// straight-through estimator), as PyTorch's `FakeQuantize` does.

/// Per-tensor asymmetric uint8 fake quantization of x (any shape):
///
///     q = round_half_even(x / s) + z,  y = s · (clamp(q, 0, 255) − z)
///
/// the values a `Quantize` to (s, z) followed by a `Dequantize` would give. Backward
/// (clipped straight-through estimator): ∂x = ∂y where 0 ≤ q ≤ 255, and 0 where the
/// value was clipped — a clipped value does not move with x.
public func fakeQuantize(_ x: Tensor, scale: Float, zeroPoint: Int32) -> Tensor {
    precondition(scale > 0 && scale.isFinite, "fakeQuantize: scale \(scale) is not a positive number")
    precondition((0...255).contains(zeroPoint), "fakeQuantize: zero point \(zeroPoint) outside 0...255")
    let n = x.count
    let z = Float(zeroPoint)
    // Codes are found in float: x/s rounded is an integer-valued float, exact below 2^24,
    // and the clamp keeps it within 0...255 before scaling back.
    let out = Tensor(opOutput: x.shape, parents: [x]) { out in
        nonisolated(unsafe) let g = out.grad, gx = x.grad, xs = x.data
        parallelRanges(n) { lo, hi in
            for i in lo..<hi {
                let q = (xs[i] / scale).rounded(.toNearestOrEven) + z
                if q >= 0 && q <= 255 { gx[i] += g[i] }
            }
        }
    }
    nonisolated(unsafe) let xs = x.data, ys = out.data
    parallelRanges(n) { lo, hi in
        for i in lo..<hi {
            let q = min(max((xs[i] / scale).rounded(.toNearestOrEven) + z, 0), 255)
            ys[i] = scale * (q - z)
        }
    }
    return out
}

/// `fakeQuantize` with one encoding per block of the last axis: x (…, k·m) in k blocks of m
/// columns, block b through `blocks[b]` — three quantized values (a Transformer's q, k and
/// v) computed as one tensor. The same forward and clipped straight-through backward.
public func fakeQuantizeBlocks(_ x: Tensor, _ blocks: [(scale: Float, zeroPoint: Int32)]) -> Tensor {
    let width = x.shape.last ?? 0, k = blocks.count
    precondition(k > 0 && width % k == 0, "fakeQuantizeBlocks: \(k) blocks do not divide the last axis of \(x.shape)")
    for b in blocks {
        precondition(b.scale > 0 && b.scale.isFinite && (0...255).contains(b.zeroPoint), "fakeQuantizeBlocks: encoding \(b) is not a uint8 one")
    }
    let n = x.count, m = width / k
    let scales = blocks.map(\.scale), zeros = blocks.map { Float($0.zeroPoint) }
    let out = Tensor(opOutput: x.shape, parents: [x]) { out in
        nonisolated(unsafe) let g = out.grad, gx = x.grad, xs = x.data
        parallelRanges(n) { lo, hi in
            for i in lo..<hi {
                let b = (i % width) / m
                let q = (xs[i] / scales[b]).rounded(.toNearestOrEven) + zeros[b]
                if q >= 0 && q <= 255 { gx[i] += g[i] }
            }
        }
    }
    nonisolated(unsafe) let xs = x.data, ys = out.data
    parallelRanges(n) { lo, hi in
        for i in lo..<hi {
            let b = (i % width) / m
            let q = min(max((xs[i] / scales[b]).rounded(.toNearestOrEven) + zeros[b], 0), 255)
            ys[i] = scales[b] * (q - zeros[b])
        }
    }
    return out
}

/// Per-output-channel symmetric int8 fake quantization of a weight tensor w (axis 0 the
/// output channel, C = w.shape[0] rows of `per` values):
///
///     s_c = max_i |w_ci| / 127,  y_ci = s_c · clamp(round(w_ci / s_c), −127, 127)
///
/// rounding half away from zero, exactly as PithQuant's `WeightQuantizer` exports the
/// weights (a channel of zeros stays zero). Backward: ∂w = ∂y (s_c is treated as a
/// constant; no weight lies outside ±127·s_c, so nothing is clipped).
public func fakeQuantizePerChannel(_ w: Tensor) -> Tensor {
    let channels = w.shape[0]
    let n = w.count, per = n / max(channels, 1)
    let out = Tensor(opOutput: w.shape, parents: [w]) { out in
        let g = out.grad, gw = w.grad
        for i in 0..<n { gw[i] += g[i] }
    }
    let ws = w.data, ys = out.data
    for c in 0..<channels {
        var maxAbs: Float = 0
        for i in c * per ..< (c + 1) * per { maxAbs = max(maxAbs, abs(ws[i])) }
        guard maxAbs > 0 else {
            for i in c * per ..< (c + 1) * per { ys[i] = 0 }
            continue
        }
        let scale = maxAbs / 127
        for i in c * per ..< (c + 1) * per {
            ys[i] = scale * max(-127, min(127, (ws[i] / scale).rounded()))
        }
    }
    return out
}
