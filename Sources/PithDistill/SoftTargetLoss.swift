import PithTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The soft-target term of Hinton, Vinyals and Dean (2015), averaged over the batch:
///
///     L = (1/B) Σ_b T² · KL(p_b ‖ q_b),  q_b = softmax(z_b / T),
///     KL(p ‖ q) = Σ_j p_j (log p_j − log q_j)
///
/// logits z: (B, C); `targets` p: B rows of C probabilities (the teacher's softmax at the
/// same T, averaged over an ensemble). Backward: ∂z_b = T · (q_b − p_b) / B.
///
/// The T² factor is applied here: ∂KL/∂z is (q − p)/T, so without it the soft term's
/// gradients would shrink as 1/T² while the hard-label term's do not; with it, changing T
/// leaves the relative weight α of the two terms as it is (the paper's §2).
public func softTargetLoss(logits: Tensor, targets: [Float], temperature t: Float) -> Tensor {
    let b = logits.shape[0], c = logits.shape[1]
    precondition(targets.count == b * c, "softTargetLoss: \(targets.count) targets for logits \(logits.shape)")
    precondition(t > 0, "softTargetLoss: temperature \(t) ≤ 0")
    var q = [Float](repeating: 0, count: b * c)
    var total: Double = 0
    q.withUnsafeMutableBufferPointer { q in
        for r in 0..<b {
            let z = logits.data + r * c
            let (m, logS) = softmaxRow(z, c, temperature: t, into: q.baseAddress! + r * c)
            for j in 0..<c {
                let p = targets[r * c + j]
                // p log p → 0 as p → 0; log q_j = z_j/T − m − log s, exact where q_j underflows.
                if p > 0 { total += Double(p) * Double(logf(p) - (z[j] / t - m - logS)) }
            }
        }
    }
    let out = Tensor(opOutput: [1], parents: [logits]) { out in
        let g = out.grad[0] * t / Float(b), gz = logits.grad
        for i in 0..<(b * c) { gz[i] += g * (q[i] - targets[i]) }
    }
    out.data[0] = Float(Double(t) * Double(t) * total / Double(b))
    return out
}

/// Row-wise softmax(z / T) of a (B, C) tensor (PithTensor's `softmaxRow`), as a flat array.
public func softmaxRows(_ z: Tensor, temperature t: Float) -> [Float] {
    let b = z.shape[0], c = z.shape[1]
    var p = [Float](repeating: 0, count: b * c)
    p.withUnsafeMutableBufferPointer { p in
        for r in 0..<b { _ = softmaxRow(z.data + r * c, c, temperature: t, into: p.baseAddress! + r * c) }
    }
    return p
}
