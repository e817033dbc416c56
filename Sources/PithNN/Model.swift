import PithTensor

/// A model: its description and, for each layer, its weights.
public final class Model {
    public let description: ModelDescription
    public let layers: [Layer]
    /// Set for quantization-aware training: `forward` then runs the integer graph's
    /// quantization points in float (see `FakeQuantization`).
    public var fakeQuantization: FakeQuantization?
    /// Applied to the input first (before the input's quantization point under QAT): the
    /// model takes raw features. nil: the input as it is.
    public var standardization: Standardization?

    /// Fresh weights, initialised from `seed` as PyTorch does by default.
    public init(_ description: ModelDescription, seed: UInt64) {
        self.description = description
        var rng = PithRandom(seed: seed, stream: 0x1417)
        let layers = description.layers.indices.map { i in
            Layer(description.layers[i], input: description.shapes[i], rng: &rng)
        }
        self.layers = Self.runOrder(description.layers).map { layers[$0] }
    }

    /// Whether the output of description layer `layer` (1-based) exists as a layer output
    /// in `layers`: not a ReLU whose max pool `layers` runs first.
    public func captureProblem(layer: Int) -> String? {
        guard layer >= 1 && layer <= layers.count else {
            return "\(description.name) has layers 1...\(layers.count), not \(layer)"
        }
        if case .other(.maxPool) = layers[layer - 1], layer < description.layers.count, description.layers[layer - 1] == .relu {
            return "\(description.name) layer \(layer) (relu) runs after the max pool that follows it; name layer \(layer + 1) instead"
        }
        return nil
    }

    /// The description's layer indices in the order `layers` runs them: `layers[k]` is
    /// description layer `runOrder(d.layers)[k]`.
    ///
    /// `relu, maxpool` runs as `maxpool, relu`: max commutes with the monotone ReLU, so the
    /// values are the same, and ReLU (forward and backward) then touches a quarter of the
    /// elements. The gradient is the same too — it reaches the window's first maximal input
    /// when that input is positive, and nothing otherwise — except where a window's maximum
    /// is tied between elements at exactly 0 (then neither order passes a gradient either).
    public static func runOrder(_ specs: [LayerSpec]) -> [Int] {
        var order = Array(specs.indices)
        var i = 0
        while i + 1 < specs.count {
            if specs[i] == .relu, case .maxPool = specs[i + 1] {
                order.swapAt(i, i + 1)
                i += 2
            } else {
                i += 1
            }
        }
        return order
    }

    /// All trainable tensors in layer order (weight, bias per weighted layer).
    public var parameters: [Tensor] { layers.flatMap(\.parameters) }

    /// Names matching `parameters`: "layer3.weight" with 1-based layer numbers.
    public var parameterNames: [String] {
        layers.enumerated().flatMap { i, layer in layer.parameterNames.map { "layer\(i + 1).\($0)" } }
    }

    /// Logits for a batch. x: (B, inputFeatures) flat, reshaped to (B, inputShape).
    /// Under `fakeQuantization`, training also moves its ranges towards this batch's.
    public func forward(_ x: Tensor, training: Bool, rng: inout PithRandom) -> Tensor {
        run(x, training: training, rng: &rng, capture: nil).logits
    }

    /// Logits and the output of description layer `layer` (1-based; see `captureProblem`),
    /// for a hint loss.
    public func forward(_ x: Tensor, training: Bool, rng: inout PithRandom, capturing layer: Int) -> (logits: Tensor, captured: Tensor) {
        precondition(captureProblem(layer: layer) == nil, captureProblem(layer: layer) ?? "")
        let (logits, captured) = run(x, training: training, rng: &rng, capture: layer - 1)
        return (logits, captured!)
    }

    func run(_ x: Tensor, training: Bool, rng: inout PithRandom, capture: Int?) -> (logits: Tensor, captured: Tensor?) {
        let batch = x.shape[0]
        var h = x.shape.dropFirst().elementsEqual(description.inputShape) ? x : reshape(x, [batch] + description.inputShape)
        var captured: Tensor?
        let fq = fakeQuantization
        if let standardization { h = standardization.apply(h) }
        if let fq { h = fq.apply(h, point: 0, observe: training) }
        for (j, layer) in layers.enumerated() {
            if let fq, let base = fq.blockPoints[j], case let .transformerBlock(block) = layer {
                h = block.quantizationAware(h, fq: fq, base: base, observe: training)
            } else {
                h = layer.forward(h, training: training, rng: &rng, fakeQuantized: fq != nil)
            }
            if let fq, let point = fq.pointAfterLayer[j] { h = fq.apply(h, point: point, observe: training) }
            if j == capture { captured = h }
        }
        return (h, captured)
    }

    /// nil when `standardization` can apply to this model (its input is flat: a table's
    /// features), else why not.
    public static func standardizationProblem(_ description: ModelDescription) -> String? {
        description.inputShape.count == 1 ? nil
            : "model '\(description.name)' takes input of shape \(description.inputShape); standardization applies to flat (table) inputs (use --standardize false)"
    }

    /// Logits without recording the graph (inference; dropout off).
    public func predict(_ x: Tensor) -> Tensor {
        var rng = PithRandom(seed: 0)
        return GradMode.withoutGrad { forward(x, training: false, rng: &rng) }
    }
}
