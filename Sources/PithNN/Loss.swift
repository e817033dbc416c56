import PithTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The training losses. Each is a fused op: numerically stable forward, closed-form backward.
public enum Loss: String, CaseIterable, Sendable, Codable {
    /// Softmax cross-entropy of the logits against the label.
    case crossEntropy = "cross-entropy"
    /// Mean squared error of the logits against the one-hot label.
    case mse
    /// Per-class binary cross-entropy of the logits (one sigmoid per class) against the one-hot label.
    case binaryCrossEntropy = "bce"

    /// The loss of a batch of logits (B, C) against class labels.
    public func callAsFunction(logits: Tensor, labels: [Int32]) -> Tensor {
        switch self {
        case .crossEntropy:
            return PithNN.crossEntropy(logits: logits, labels: labels)
        case .mse:
            return meanSquaredError(logits, oneHot(labels, classes: logits.shape[1]))
        case .binaryCrossEntropy:
            return PithNN.binaryCrossEntropy(logits: logits, targets: oneHot(labels, classes: logits.shape[1]))
        }
    }
}

/// Labels as rows of a (B, C) one-hot matrix.
func oneHot(_ labels: [Int32], classes: Int) -> [Float] {
    var t = [Float](repeating: 0, count: labels.count * classes)
    for (r, label) in labels.enumerated() { t[r * classes + Int(label)] = 1 }
    return t
}

/// Mean cross-entropy from logits: L = −(1/B) Σ_b log softmax(z_b)[y_b], through
/// log-sum-exp with the row maximum subtracted. logits: (B, C), labels: B values in 0..<C.
/// Backward: ∂z = (softmax(z) − onehot(y)) / B.
public func crossEntropy(logits: Tensor, labels: [Int32]) -> Tensor {
    let b = logits.shape[0], c = logits.shape[1]
    precondition(labels.count == b, "crossEntropy: \(labels.count) labels for batch \(b)")
    var probs = [Float](repeating: 0, count: b * c)
    var total: Double = 0
    probs.withUnsafeMutableBufferPointer { p in
        for r in 0..<b {
            let z = logits.data + r * c
            let (m, logS) = softmaxRow(z, c, into: p.baseAddress! + r * c)
            total += Double(m + logS - z[Int(labels[r])])
        }
    }
    let out = Tensor(opOutput: [1], parents: [logits]) { out in
        let g = out.grad[0] / Float(b), gz = logits.grad
        for r in 0..<b {
            for j in 0..<c { gz[r * c + j] += g * probs[r * c + j] }
            gz[r * c + Int(labels[r])] -= g
        }
    }
    out.data[0] = Float(total / Double(b))
    return out
}

/// Mean squared error: L = (1/n) Σ (p − t)². Backward: ∂p = 2(p − t)/n.
public func meanSquaredError(_ prediction: Tensor, _ target: [Float]) -> Tensor {
    let n = prediction.count
    precondition(target.count == n, "meanSquaredError: \(target.count) targets for \(n) predictions")
    let out = Tensor(opOutput: [1], parents: [prediction]) { out in
        let g = out.grad[0] * 2 / Float(n), gp = prediction.grad
        for i in 0..<n { gp[i] += g * (prediction.data[i] - target[i]) }
    }
    var s: Double = 0
    for i in 0..<n { let d = Double(prediction.data[i] - target[i]); s += d * d }
    out.data[0] = Float(s / Double(n))
    return out
}

/// Mean binary cross-entropy from logits x and targets t ∈ [0, 1]:
/// L = (1/n) Σ max(x, 0) − x·t + log(1 + e^(−|x|)), stable for any x.
/// Backward: ∂x = (σ(x) − t)/n.
public func binaryCrossEntropy(logits: Tensor, targets: [Float]) -> Tensor {
    let n = logits.count
    precondition(targets.count == n, "binaryCrossEntropy: \(targets.count) targets for \(n) logits")
    let out = Tensor(opOutput: [1], parents: [logits]) { out in
        let g = out.grad[0] / Float(n), gx = logits.grad
        for i in 0..<n {
            let x = logits.data[i]
            let sig = x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x))
            gx[i] += g * (sig - targets[i])
        }
    }
    var s: Double = 0
    for i in 0..<n {
        let x = logits.data[i]
        s += Double(max(x, 0) - x * targets[i] + log1pf(expf(-abs(x))))
    }
    out.data[0] = Float(s / Double(n))
    return out
}
