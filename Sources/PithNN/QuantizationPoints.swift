/// One node of a model's exported graph: a layer of its description, in the integer graph
/// with the ReLU that follows a Dense or Conv2D layer folded in (the runtime clamps the
/// requantized output). Dropout, the identity at inference, has none.
public struct GraphStage: Equatable, Sendable {
    /// The layer's index in the description (0-based).
    public let layer: Int
    public let spec: LayerSpec
    /// Whether the ReLU at `layer + 1` is folded in (weighted stages only).
    public let relu: Bool
    /// Whether the position embedding at `layer + 1` is folded in (a Dense stage over a
    /// sequence: its table becomes a bias per token).
    public let position: Bool
    /// In the integer graph, the quantization point at the stage's output: k for the k-th
    /// weighted stage (point 0 is the graph's input); nil for pools and flatten, which move
    /// codes and keep their input's encoding (and for every stage of a float graph). A stage
    /// of several points (`points`) has them at point ... point + points − 1, its output last.
    public let point: Int?
    /// Quantization points of the stage: 1, or `TransformerPoints.count` for a Transformer
    /// block (its inner values each have one); 0 without a point.
    public let points: Int

    public init(layer: Int, spec: LayerSpec, relu: Bool = false, position: Bool = false, point: Int? = nil, points: Int? = nil) {
        self.layer = layer
        self.spec = spec
        self.relu = relu
        self.position = position
        self.point = point
        self.points = point == nil ? 0 : points ?? 1
    }

    /// The description index of the last layer the stage covers (its ReLU or position
    /// embedding when folded).
    public var end: Int { relu || position ? layer + 1 : layer }
    /// The point at the stage's output (its last), or nil.
    public var outputPoint: Int? { point.map { $0 + points - 1 } }
}

/// The quantization points inside a pre-norm Transformer block's integer graph, in order:
/// LN₁(x), q, k, v, attention, W_o·attention + b_o, a = x + that, LN₂(a), W₁·LN₂(a) + b₁,
/// GELU of it, W₂·GELU + b₂, y = a + that.
public enum TransformerPoints: Int, CaseIterable, Sendable {
    case norm1, query, key, value, attention, projection, residual1, norm2, hidden, gelu, output, residual2

    public static var count: Int { allCases.count }

    /// The value's name in the graph, after the stage's (`stage3.query`); the last is the
    /// stage's own.
    public var suffix: String {
        switch self {
        case .norm1: return ".norm1"
        case .query: return ".query"
        case .key: return ".key"
        case .value: return ".value"
        case .attention: return ".attention"
        case .projection: return ".projection"
        case .residual1: return ".residual1"
        case .norm2: return ".norm2"
        case .hidden: return ".linear1"
        case .gelu: return ".gelu"
        case .output: return ".linear2"
        case .residual2: return ""
        }
    }
}

/// Where a model's integer graph quantizes: the one rule that both the integer export
/// (PithQuant's calibration and emitter) and quantization-aware training
/// (`FakeQuantization`) follow.
///
/// The graph quantizes its input (point 0) and the output of every Dense, Conv2D and LSTM
/// layer, after the ReLU or position embedding that follows it (points 1, 2, … in order),
/// of every LayerNorm, mean over tokens and element-wise GELU, tanh or sigmoid (a Lookup
/// table), and each inner value of a Transformer block (`TransformerPoints`). A ReLU that
/// follows no Dense or Conv layer, and a position embedding that follows no Dense layer,
/// make the model unquantizable.
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
                let position = !relu && i + 1 < d.layers.count && d.layers[i + 1] == .position && spec.opensSequenceDense
                points += 1
                stages.append(GraphStage(layer: i, spec: spec, relu: relu, position: position, point: points))
                if relu || position { i += 1 }
            case .lstm, .layerNorm, .meanTokens, .gelu, .tanh, .sigmoid:
                points += 1
                stages.append(GraphStage(layer: i, spec: spec, relu: false, point: points))
            case .transformerBlock:
                stages.append(GraphStage(layer: i, spec: spec, point: points + 1, points: TransformerPoints.count))
                points += TransformerPoints.count
            case .maxPool, .avgPool, .flatten:
                stages.append(GraphStage(layer: i, spec: spec, relu: false, point: nil))
            case .dropout: break
            case .relu:
                throw .mismatch("\(d.name): layer \(i + 1) is a ReLU that does not follow a Dense or Conv layer; the integer graph folds ReLU into them")
            case .position:
                throw .mismatch("\(d.name): layer \(i + 1) is a position embedding that does not follow a Dense layer; the integer graph folds it into that layer's bias")
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
        if let stage = stages.first(where: { if case .lstm = $0.spec { return true } else { return false } }) {
            throw .mismatch("\(d.name): layer \(stage.layer + 1) '\(stage.spec.text)': quantization-aware training does not simulate the integer LSTM yet (pith quantize calibrates it)")
        }
        return stages
    }

    /// Number of points of the integer graph with these stages: 1 (the input) + each
    /// stage's.
    public static func count(_ stages: [GraphStage]) -> Int {
        1 + stages.reduce(0) { $0 + $1.points }
    }
}

extension LayerSpec {
    /// A Dense layer (the one a position embedding can fold into).
    var opensSequenceDense: Bool { if case .dense = self { return true } else { return false } }
}
