import PithTensor

/// A fully connected layer: y = x · Wᵀ + b. weight: (out, in), bias: (out), as in PyTorch.
public struct Dense {
    public var weight: Tensor
    public var bias: Tensor

    /// PyTorch's default initialisation: W, b ~ U(−1/√in, 1/√in).
    public init(inputs: Int, outputs: Int, rng: inout PithRandom) {
        let bound = 1 / Float(inputs).squareRoot()
        weight = uniformTensor([outputs, inputs], bound: bound, rng: &rng)
        bias = uniformTensor([outputs], bound: bound, rng: &rng)
    }

    /// x: (B, in) → (B, out), or each token: (B, T, in) → (B, T, out).
    public func callAsFunction(_ x: Tensor) -> Tensor { tokenwise(self, x) }
}

/// A 2-D convolution layer, NCHW. weight: (O, C, K, K), bias: (O).
public struct Conv2D {
    public var weight: Tensor
    public var bias: Tensor
    public let stride: Int
    public let padding: Int

    /// PyTorch's default initialisation: W, b ~ U(−1/√(C·K·K), 1/√(C·K·K)).
    public init(channels: Int, filters: Int, kernel: Int, stride: Int, padding: Int, rng: inout PithRandom) {
        let bound = 1 / Float(channels * kernel * kernel).squareRoot()
        weight = uniformTensor([filters, channels, kernel, kernel], bound: bound, rng: &rng)
        bias = uniformTensor([filters], bound: bound, rng: &rng)
        self.stride = stride
        self.padding = padding
    }

    /// x: (B, C, H, W) → (B, O, OH, OW).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        conv2d(x, weight, bias, stride: stride, padding: padding)
    }
}

/// A tensor of trainable values drawn from U(−bound, bound).
func uniformTensor(_ shape: [Int], bound: Float, rng: inout PithRandom) -> Tensor {
    let t = Tensor(zeros: shape, requiresGrad: true)
    for i in 0..<t.count { t.data[i] = (rng.nextFloat() * 2 - 1) * bound }
    return t
}

/// A layer with its weights, built from a `LayerSpec`.
public enum Layer {
    case dense(Dense)
    case conv(Conv2D)
    case lstm(LSTMLayer)
    case position(PositionEmbedding)
    case layerNorm(LayerNormLayer)
    case transformerBlock(TransformerBlock)
    case other(LayerSpec)

    /// A layer of `spec` for an input of `shape` (without the batch axis), its weights
    /// initialised from `rng` as PyTorch does by default.
    public init(_ spec: LayerSpec, input shape: [Int], rng: inout PithRandom) {
        switch spec {
        case let .dense(units): self = .dense(Dense(inputs: shape.last!, outputs: units, rng: &rng))
        case let .conv(filters, k, s, p):
            self = .conv(Conv2D(channels: shape[0], filters: filters, kernel: k, stride: s, padding: p, rng: &rng))
        case let .lstm(units, sequence):
            self = .lstm(LSTMLayer(inputs: shape[1], hidden: units, returnSequence: sequence, rng: &rng))
        case .position: self = .position(PositionEmbedding(steps: shape[0], width: shape[1], rng: &rng))
        case .layerNorm: self = .layerNorm(LayerNormLayer(width: shape.last!))
        case let .transformerBlock(heads, ff):
            self = .transformerBlock(TransformerBlock(width: shape[1], heads: heads, feedForward: ff, rng: &rng))
        default: self = .other(spec)
        }
    }

    /// The layer's trainable tensors, in `LayerSpec.parameterShapes` order (weight first).
    public var parameters: [Tensor] {
        switch self {
        case let .dense(d): return [d.weight, d.bias]
        case let .conv(c): return [c.weight, c.bias]
        case let .lstm(l): return [l.inputWeight, l.recurrentWeight, l.bias]
        case let .position(p): return [p.table]
        case let .layerNorm(n): return [n.gamma, n.beta]
        case let .transformerBlock(t): return t.parameters
        case .other: return []
        }
    }

    /// Names of `parameters` within the layer, PyTorch's where it has them.
    public var parameterNames: [String] {
        switch self {
        case .dense, .conv, .layerNorm: return ["weight", "bias"]
        case .lstm: return ["weight_ih", "weight_hh", "bias"]
        case .position: return ["table"]
        case .transformerBlock:
            return ["norm1.weight", "norm1.bias", "self_attn.in_proj_weight", "self_attn.in_proj_bias",
                    "self_attn.out_proj.weight", "self_attn.out_proj.bias", "norm2.weight", "norm2.bias",
                    "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]
        case .other: return []
        }
    }

    /// Runs the layer on a batch. `rng` drives dropout in training. `fakeQuantized`: the
    /// weights pass through `fakeQuantizePerChannel` (quantization-aware training).
    public func forward(_ x: Tensor, training: Bool, rng: inout PithRandom, fakeQuantized: Bool = false) -> Tensor {
        switch self {
        case let .dense(d):
            return fakeQuantized ? tokenwise(d, x, weight: fakeQuantizePerChannel(d.weight)) : d(x)
        case let .conv(c):
            return fakeQuantized ? conv2d(x, fakeQuantizePerChannel(c.weight), c.bias, stride: c.stride, padding: c.padding) : c(x)
        case let .lstm(l): return l(x)
        case let .position(p): return p(x)
        case let .layerNorm(n): return n(x)
        case let .transformerBlock(t): return t(x)
        case let .other(spec):
            switch spec {
            case .relu: return relu(x)
            case .gelu: return gelu(x)
            case .tanh: return PithTensor.tanh(x)
            case .sigmoid: return sigmoid(x)
            case let .dropout(p): return dropout(x, p: p, training: training, rng: &rng)
            case .flatten: return flatten(x)
            case let .maxPool(k, s): return maxPool2d(x, kernel: k, stride: s)
            case let .avgPool(k, s): return avgPool2d(x, kernel: k, stride: s)
            case .meanTokens: return meanTokens(x)
            case .dense, .conv, .lstm, .position, .layerNorm, .transformerBlock:
                preconditionFailure("weighted layer stored as .other")
            }
        }
    }
}
