import PithTensor

/// A model: its description and, for each layer, its weights.
public final class Model {
    public let description: ModelDescription
    public let layers: [Layer]

    /// Fresh weights, initialised from `seed` as PyTorch does by default.
    public init(_ description: ModelDescription, seed: UInt64) {
        self.description = description
        var rng = PithRandom(seed: seed, stream: 0x1417)
        var layers: [Layer] = []
        for (i, spec) in description.layers.enumerated() {
            let shape = description.shapes[i]
            switch spec {
            case let .dense(units):
                layers.append(.dense(Dense(inputs: shape[0], outputs: units, rng: &rng)))
            case let .conv(filters, k, s, p):
                layers.append(.conv(Conv2D(channels: shape[0], filters: filters, kernel: k, stride: s, padding: p, rng: &rng)))
            default:
                layers.append(.other(spec))
            }
        }
        self.layers = layers
    }

    /// All trainable tensors in layer order (weight, bias per weighted layer).
    public var parameters: [Tensor] { layers.flatMap(\.parameters) }

    /// Names matching `parameters`: "layer3.weight" with 1-based layer numbers.
    public var parameterNames: [String] {
        layers.enumerated().flatMap { i, layer in
            layer.parameters.count == 2 ? ["layer\(i + 1).weight", "layer\(i + 1).bias"] : []
        }
    }

    /// Logits for a batch. x: (B, inputFeatures) flat, reshaped to (B, inputShape).
    public func forward(_ x: Tensor, training: Bool, rng: inout PithRandom) -> Tensor {
        let batch = x.shape[0]
        var h = x.shape.dropFirst().elementsEqual(description.inputShape) ? x : reshape(x, [batch] + description.inputShape)
        for layer in layers { h = layer.forward(h, training: training, rng: &rng) }
        return h
    }

    /// Logits without recording the graph (inference; dropout off).
    public func predict(_ x: Tensor) -> Tensor {
        var rng = PithRandom(seed: 0)
        return GradMode.withoutGrad { forward(x, training: false, rng: &rng) }
    }
}
