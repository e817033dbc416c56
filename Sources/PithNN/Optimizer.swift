import CPithTrainKernels
import PithTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which update rule and its hyper-parameters.
public struct OptimizerConfig: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// θ ← θ − η·g. Full-batch gradient descent or per-sample SGD depending on the batch size.
        case sgd
        /// Heavy-ball momentum, as PyTorch: v ← μ·v + g; θ ← θ − η·v.
        case momentum
        /// Adam (Kingma & Ba 2015) with bias correction; weight decay as L2 added to g.
        case adam
        /// AdamW (Loshchilov & Hutter 2019): decoupled decay θ ← θ − η·λ·θ before the Adam step.
        case adamw
    }
    public var kind: Kind
    public var momentum: Float = 0.9
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    /// λ: L2 added to the gradient (sgd, momentum, adam) or decoupled decay (adamw).
    public var weightDecay: Float = 0

    public init(kind: Kind, weightDecay: Float = 0) {
        self.kind = kind
        self.weightDecay = weightDecay
    }
}

/// Applies one update to a list of parameters and keeps its per-parameter state
/// (momentum buffers, Adam's first and second moments) for checkpoints.
public final class Optimizer {
    public let config: OptimizerConfig
    /// Updates taken so far (Adam's t).
    public internal(set) var step: Int = 0
    /// Per parameter: [velocity] (momentum) or [m, v] (adam, adamw); empty for sgd.
    public internal(set) var state: [[[Float]]]

    public init(_ config: OptimizerConfig, parameters: [Tensor]) {
        self.config = config
        let slots: Int
        switch config.kind {
        case .sgd: slots = 0
        case .momentum: slots = 1
        case .adam, .adamw: slots = 2
        }
        state = parameters.map { p in (0..<slots).map { _ in [Float](repeating: 0, count: p.count) } }
    }

    /// θ ← update(θ, ∂L/∂θ) with learning rate `lr`, for each parameter.
    public func update(_ parameters: [Tensor], lr: Float) {
        step += 1
        let c = config
        let t = Float(step)
        let correction1 = 1 - powf(c.beta1, t), correction2 = 1 - powf(c.beta2, t)
        for (index, p) in parameters.enumerated() {
            nonisolated(unsafe) let w = p.data, g = p.grad
            let n = p.count
            switch c.kind {
            case .sgd:
                parallelRanges(n) { lo, hi in
                    for i in lo..<hi { w[i] -= lr * (g[i] + c.weightDecay * w[i]) }
                }
            case .momentum:
                state[index][0].withUnsafeMutableBufferPointer { buffer in
                    nonisolated(unsafe) let v = buffer.baseAddress!
                    parallelRanges(n) { lo, hi in
                        for i in lo..<hi {
                            v[i] = c.momentum * v[i] + g[i] + c.weightDecay * w[i]
                            w[i] -= lr * v[i]
                        }
                    }
                }
            case .adam, .adamw:
                let decoupled = c.kind == .adamw
                let stepSize = lr / correction1
                let invSqrtC2 = 1 / correction2.squareRoot()
                // Moved out and back so the two buffers are borrowed without overlapping access.
                var first = [Float](), second = [Float]()
                swap(&first, &state[index][0])
                swap(&second, &state[index][1])
                first.withUnsafeMutableBufferPointer { mBuffer in
                    second.withUnsafeMutableBufferPointer { vBuffer in
                        nonisolated(unsafe) let m = mBuffer.baseAddress!, v = vBuffer.baseAddress!
                        var kernel = pith_adam_params(
                            beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon, step: stepSize, invSqrtC2: invSqrtC2,
                            l2: decoupled ? 0 : c.weightDecay, decay: decoupled ? lr * c.weightDecay : 0)
                        withUnsafePointer(to: &kernel) { pointer in
                            nonisolated(unsafe) let params = pointer
                            parallelRanges(n) { lo, hi in pith_adam(w + lo, g + lo, m + lo, v + lo, hi - lo, params) }
                        }
                    }
                }
                swap(&first, &state[index][0])
                swap(&second, &state[index][1])
            }
        }
    }

    /// Whether `update` leaves every gradient at zero (Adam and AdamW clear them in the same
    /// pass), so that the caller need not zero them before the next step.
    public var clearsGradients: Bool { config.kind == .adam || config.kind == .adamw }

    /// Restores the state saved by a checkpoint.
    func restore(step: Int, state: [[[Float]]]) {
        self.step = step
        self.state = state
    }
}
