import CPithTrainKernels

/// Multi-head scaled dot-product self-attention (Vaswani et al. 2017) with the split into
/// heads and the merge back, as one op. qkv: (B, T, 3D), each token's [q | k | v] with
/// head h at columns h·d_h … (h+1)·d_h − 1 of each part (PyTorch's `in_proj` layout),
/// D = heads · d_h. For each sequence and head:
///
///     S = Q Kᵀ / √d_h  (T × T),   P = softmax over each row of S,   O = P V  (T × d_h),
///
/// merged to (B, T, D) with head h at columns h·d_h. No mask (an encoder: every token sees
/// every token).
///
/// Backward: ∂P = ∂O Vᵀ, ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P)) / √d_h, ∂Q = ∂S K, ∂K = ∂Sᵀ Q,
/// ∂V = Pᵀ ∂O. Sequences × heads are spread over the threads (each writes its own columns).
/// `probabilityLevels` > 0: P is rounded to multiples of 1/levels (what the integer
/// attention's uint8 probabilities hold, 255), the gradient passing through as if not.
public func attention(_ qkv: Tensor, heads: Int, probabilityLevels: Int = 0) -> Tensor {
    precondition(qkv.shape.count == 3 && heads > 0 && qkv.shape[2] % (3 * heads) == 0,
                 "attention: input \(qkv.shape) is not (B, T, 3·heads·d_h) for \(heads) heads")
    let batch = qkv.shape[0], steps = qkv.shape[1], width = qkv.shape[2] / 3, headWidth = width / heads
    let pairs = batch * heads
    let probs = Tensor(uninitialized: [batch, heads, steps, steps])
    let scratchSize = (steps + 16) * (headWidth + 2) + steps * steps
    let out = Tensor(opOutput: [batch, steps, width], parents: [qkv]) { out in
        nonisolated(unsafe) let x = qkv.data, p = probs.data, g = out.grad, gx = qkv.grad
        perThreadRanges(pairs, scratch: scratchSize) { lo, hi, scratch in
            pith_attention_backward(x, p, g, gx, lo, hi, heads, steps, headWidth, scratch)
        }
    }
    nonisolated(unsafe) let x = qkv.data, p = probs.data, y = out.data
    perThreadRanges(pairs, scratch: scratchSize) { lo, hi, scratch in
        pith_attention_forward(x, y, p, probabilityLevels, lo, hi, heads, steps, headWidth, scratch)
    }
    return out
}

/// Runs `body(lo, hi, scratch)` over 0..<n split into one range per thread, each with its
/// own `scratch` floats.
func perThreadRanges(_ n: Int, scratch: Int, _ body: (Int, Int, UnsafeMutablePointer<Float>) -> Void) {
    let threads = min(Threads.count, max(1, n))
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: threads * max(scratch, 1))
    defer { buffer.deallocate() }
    nonisolated(unsafe) let b = buffer
    withoutActuallyEscaping(body) { body in
        nonisolated(unsafe) let work = body
        parallelFor(threads) { t in work(n * t / threads, n * (t + 1) / threads, b + t * max(scratch, 1)) }
    }
}
