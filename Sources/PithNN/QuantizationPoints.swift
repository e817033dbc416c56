/// One node of a model's exported graph: a layer of its description, in the integer graph
/// with the ReLU that follows a Dense or Conv2D layer folded in (the runtime clamps the
/// requantized output). Dropout, the identity at inference, has none.
public struct GraphStage: Equatable, Sendable {
    /// The layer's index in the description (0-based).
    public let layer: Int
    public let spec: LayerSpec
    /// Whether the ReLU at `layer + 1` is folded in (weighted stages only).
    public let relu: Bool
    /// In the integer graph, the quantization point at the stage's output: k for the k-th
    /// weighted stage (point 0 is the graph's input); nil for pools and flatten, which move
    /// codes and keep their input's encoding (and for every stage of a float graph).
    public let point: Int?

    public init(layer: Int, spec: LayerSpec, relu: Bool = false, point: Int? = nil) {
        self.layer = layer
        self.spec = spec
        self.relu = relu
        self.point = point
    }

    /// The description index of the last layer the stage covers (its ReLU when folded).
    public var end: Int { relu ? layer + 1 : layer }
}

/// Where a model's integer graph quantizes: the one rule that both the integer export
/// (PithQuant's calibration and emitter) and quantization-aware training
/// (`FakeQuantization`) follow.
///
/// The graph quantizes its input (point 0) and the output of every Dense and Conv2D
/// layer, after the ReLU that follows it (points 1, 2, … in order). A ReLU anywhere else,
/// and a layer with no integer op (GELU, tanh, sigmoid), make the model unquantizable.
public enum QuantizationPoints {
    /// The integer graph's stages for `d`, or a `.mismatch` naming the first layer it
    /// cannot hold.
    public static func stages(_ d: ModelDescription) throws(PithError) -> [GraphStage] {
        var stages: [GraphStage] = []
        var points = 0
        var i = 0
        while i < d.layers.count {
            let spec = d.layers[i]
            switch spec {
            case .dense, .conv:
                let relu = i + 1 < d.layers.count && d.layers[i + 1] == .relu
                points += 1
                stages.append(GraphStage(layer: i, spec: spec, relu: relu, point: points))
                if relu { i += 1 }
            case .lstm:
                points += 1
                stages.append(GraphStage(layer: i, spec: spec, relu: false, point: points))
            case .maxPool, .avgPool, .flatten:
                stages.append(GraphStage(layer: i, spec: spec, relu: false, point: nil))
            case .dropout: break
            case .relu:
                throw .mismatch("\(d.name): layer \(i + 1) is a ReLU that does not follow a Dense or Conv layer; the integer graph folds ReLU into them")
            case .gelu, .tanh, .sigmoid, .position, .layerNorm, .transformerBlock, .meanTokens:
                throw .mismatch("\(d.name): layer \(i + 1) '\(spec.text)' has no integer op")
            }
            i += 1
        }
        return stages
    }

    /// The integer graph's stages for `d` when quantization-aware training can simulate
    /// them; else a `.mismatch` naming the layer: an unquantizable one, or an LSTM (its
    /// integer cell and gates are calibrated by `pith quantize`; fake quantization does not
    /// model them yet).
    public static func quantizationAwareStages(_ d: ModelDescription) throws(PithError) -> [GraphStage] {
        let stages = try stages(d)
        if let i = d.layers.firstIndex(where: { if case .lstm = $0 { return true } else { return false } }) {
            throw .mismatch("\(d.name): layer \(i + 1) '\(d.layers[i].text)': quantization-aware training does not simulate the integer LSTM yet (pith quantize calibrates it)")
        }
        return stages
    }

    /// Number of points of the integer graph with these stages: 1 (the input) + its
    /// weighted stages.
    public static func count(_ stages: [GraphStage]) -> Int {
        1 + stages.lazy.filter { $0.point != nil }.count
    }
}
