/// One line of a model description: a layer and its hyper-parameters, no weights.
public enum LayerSpec: Equatable, Sendable {
    /// Fully connected, `units` outputs; needs a flat input.
    case dense(units: Int)
    /// 2-D convolution, NCHW: `filters` outputs, square `kernel`, `stride`, zero `padding`.
    case conv(filters: Int, kernel: Int, stride: Int, padding: Int)
    case maxPool(kernel: Int, stride: Int)
    case avgPool(kernel: Int, stride: Int)
    case relu, gelu, tanh, sigmoid
    /// Inverted dropout with drop probability `p` (training only).
    case dropout(p: Float)
    /// (C, H, W) → (C·H·W), NCHW order.
    case flatten

    /// The line that describes this layer in a model file.
    public var text: String {
        switch self {
        case let .dense(u): return "dense \(u)"
        case let .conv(f, k, s, p): return "conv \(f) \(k)x\(k)" + (s != 1 ? " stride \(s)" : "") + (p != 0 ? " pad \(p)" : "")
        case let .maxPool(k, s): return "maxpool \(k)" + (s != k ? " stride \(s)" : "")
        case let .avgPool(k, s): return "avgpool \(k)" + (s != k ? " stride \(s)" : "")
        case .relu: return "relu"
        case .gelu: return "gelu"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case let .dropout(p): return "dropout \(p)"
        case .flatten: return "flatten"
        }
    }

    /// The output shape (without the batch axis) for an input of `shape`, or why it does not fit.
    public func outputShape(for shape: [Int]) -> Result<[Int], ShapeProblem> {
        switch self {
        case let .dense(units):
            guard shape.count == 1 else {
                return .failure(ShapeProblem("dense needs a flat input, got \(shape); add 'flatten' before it"))
            }
            return .success([units])
        case let .conv(filters, k, s, p):
            guard shape.count == 3 else { return .failure(ShapeProblem("conv needs a (C, H, W) input, got \(shape)")) }
            let oh = (shape[1] + 2 * p - k) / s + 1, ow = (shape[2] + 2 * p - k) / s + 1
            guard shape[1] + 2 * p >= k, shape[2] + 2 * p >= k, oh > 0, ow > 0 else {
                return .failure(ShapeProblem("conv kernel \(k)x\(k) is larger than its padded input \(shape)"))
            }
            return .success([filters, oh, ow])
        case let .maxPool(k, s), let .avgPool(k, s):
            guard shape.count == 3 else { return .failure(ShapeProblem("pooling needs a (C, H, W) input, got \(shape)")) }
            guard shape[1] >= k, shape[2] >= k else {
                return .failure(ShapeProblem("pooling window \(k) is larger than its input \(shape)"))
            }
            return .success([shape[0], (shape[1] - k) / s + 1, (shape[2] - k) / s + 1])
        case .flatten:
            return .success([shape.reduce(1, *)])
        case .relu, .gelu, .tanh, .sigmoid, .dropout:
            return .success(shape)
        }
    }

    /// The shapes of the trainable tensors for an input of `shape`, as `Layer` builds them:
    /// dense (units, in) and (units); conv (filters, C, K, K) and (filters); none otherwise.
    public func parameterShapes(for shape: [Int]) -> [[Int]] {
        switch self {
        case let .dense(units): return [[units, shape.reduce(1, *)], [units]]
        case let .conv(filters, k, _, _): return [[filters, shape[0], k, k], [filters]]
        default: return []
        }
    }

    /// Number of trainable parameters for an input of `shape` (weights and biases).
    public func parameterCount(for shape: [Int]) -> Int {
        parameterShapes(for: shape).reduce(0) { $0 + $1.reduce(1, *) }
    }
}

/// Why a layer does not fit its input.
public struct ShapeProblem: Error, Equatable {
    public let text: String
    public init(_ text: String) { self.text = text }
}
