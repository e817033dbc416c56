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

    /// x: (B, in) → (B, out).
    public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight, bias) }
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
    case other(LayerSpec)

    /// The layer's trainable tensors, weight first.
    public var parameters: [Tensor] {
        switch self {
        case let .dense(d): return [d.weight, d.bias]
        case let .conv(c): return [c.weight, c.bias]
        case .other: return []
        }
    }

    /// Runs the layer on a batch. `rng` drives dropout in training. `fakeQuantized`: the
    /// weights pass through `fakeQuantizePerChannel` (quantization-aware training).
    public func forward(_ x: Tensor, training: Bool, rng: inout PithRandom, fakeQuantized: Bool = false) -> Tensor {
        switch self {
        case let .dense(d):
            return fakeQuantized ? linear(x, fakeQuantizePerChannel(d.weight), d.bias) : d(x)
        case let .conv(c):
            return fakeQuantized ? conv2d(x, fakeQuantizePerChannel(c.weight), c.bias, stride: c.stride, padding: c.padding) : c(x)
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
            case .dense, .conv: preconditionFailure("weighted layer stored as .other")
            }
        }
    }
}
