/// One line of a model description: a layer and its hyper-parameters, no weights.
public enum LayerSpec: Equatable, Sendable {
    /// Fully connected, `units` outputs, on a flat input (F) → (units), or on each token of
    /// a sequence (T, F) → (T, units) (a token embedding).
    case dense(units: Int)
    /// 2-D convolution, NCHW: `filters` outputs, square `kernel`, `stride`, zero `padding`.
    case conv(filters: Int, kernel: Int, stride: Int, padding: Int)
    case maxPool(kernel: Int, stride: Int)
    case avgPool(kernel: Int, stride: Int)
    case relu, gelu, tanh, sigmoid
    /// Inverted dropout with drop probability `p` (training only).
    case dropout(p: Float)
    /// (C, H, W) → (C·H·W), NCHW order; (T, F) → (T·F).
    case flatten
    /// LSTM over a sequence (T, F) with `units` hidden values: → (units), the last hidden
    /// state, or → (T, units), every step's, when `sequence` (to stack another on it).
    case lstm(units: Int, sequence: Bool)
    /// A learned position embedding P (T, D) added to a sequence (T, D): x_t + P_t.
    case position
    /// LayerNorm over the last axis, with learned scale γ and shift β (D each).
    case layerNorm
    /// A pre-norm Transformer encoder block on (T, D), D = the input's width:
    /// x + MHA(LN₁(x)), then + FF(LN₂(·)), FF = Dense(feedForward) → GELU → Dense(D);
    /// `heads` attention heads of D/heads each.
    case transformerBlock(heads: Int, feedForward: Int)
    /// The mean over the tokens: (T, D) → (D).
    case meanTokens

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
        case let .lstm(u, sequence): return "lstm \(u)" + (sequence ? " sequence" : "")
        case .position: return "position"
        case .layerNorm: return "layernorm"
        case let .transformerBlock(h, ff): return "transformer-block heads \(h) ff \(ff)"
        case .meanTokens: return "mean-tokens"
        }
    }

    /// The output shape (without the batch axis) for an input of `shape`, or why it does not fit.
    public func outputShape(for shape: [Int]) -> Result<[Int], ShapeProblem> {
        switch self {
        case let .dense(units):
            switch shape.count {
            case 1: return .success([units])
            case 2: return .success([shape[0], units])
            default: return .failure(ShapeProblem("dense needs a flat (F) or sequence (T, F) input, got \(shape); add 'flatten' before it"))
            }
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
        case .relu, .gelu, .tanh, .sigmoid, .dropout, .layerNorm:
            return .success(shape)
        case let .lstm(units, sequence):
            guard shape.count == 2 else { return .failure(ShapeProblem("lstm needs a sequence (T, F) input, got \(shape)")) }
            return .success(sequence ? [shape[0], units] : [units])
        case .position:
            guard shape.count == 2 else { return .failure(ShapeProblem("position needs a sequence (T, D) input, got \(shape)")) }
            return .success(shape)
        case let .transformerBlock(heads, _):
            guard shape.count == 2 else { return .failure(ShapeProblem("transformer-block needs a sequence (T, D) input, got \(shape)")) }
            guard shape[1] % heads == 0 else {
                return .failure(ShapeProblem("transformer-block: width \(shape[1]) does not split into \(heads) heads"))
            }
            return .success(shape)
        case .meanTokens:
            guard shape.count == 2 else { return .failure(ShapeProblem("mean-tokens needs a sequence (T, D) input, got \(shape)")) }
            return .success([shape[1]])
        }
    }

    /// The shapes of the trainable tensors for an input of `shape`, in `Layer.parameters`
    /// order: dense (units, F) and (units); conv (filters, C, K, K) and (filters); lstm
    /// (4H, F), (4H, H), (4H); position (T, D); layernorm (D), (D); transformer-block, see
    /// `TransformerBlock`; none otherwise.
    public func parameterShapes(for shape: [Int]) -> [[Int]] {
        switch self {
        case let .dense(units): return [[units, shape.last ?? 0], [units]]
        case let .conv(filters, k, _, _): return [[filters, shape[0], k, k], [filters]]
        case let .lstm(units, _): return [[4 * units, shape.last ?? 0], [4 * units, units], [4 * units]]
        case .position: return [shape]
        case .layerNorm: return [[shape.last ?? 0], [shape.last ?? 0]]
        case let .transformerBlock(_, ff):
            let d = shape.last ?? 0
            return [[d], [d], [3 * d, d], [3 * d], [d, d], [d], [d], [d], [ff, d], [ff], [d, ff], [d]]
        default: return []
        }
    }

    /// Values per sample the layer keeps for its backward pass besides its output, for an
    /// input of `shape` (a transformer block's queries, keys, values, attention weights, …).
    public func internalValues(for shape: [Int]) -> Int {
        switch self {
        case let .lstm(units, _): return (shape.first ?? 0) * (10 * units + (shape.last ?? 0))
        case let .transformerBlock(heads, ff):
            let t = shape.first ?? 0, d = shape.last ?? 0
            return t * (9 * d + 2 * ff) + heads * t * t
        case .layerNorm: return shape.reduce(1, *)
        default: return 0
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
