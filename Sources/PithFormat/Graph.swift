/// The operations a graph may use (docs/FORMAT.md, "Section 2: graph"). The codes are
/// part of the format: never renumber one. Whether an op runs in int8 or float32 follows
/// from its tensors' dtypes.
public enum OpCode: UInt16, Sendable, CaseIterable {
    /// y = x·Wᵀ + b. x: (B, in), W: (out, in), b: (out). Optional attribute `relu`. On a
    /// sequence x (B, T, in) each token: y (B, T, out); an integer one's bias may then be
    /// (T, out), a bias per token (a position embedding folded in).
    case dense = 1
    /// y = conv(x, W) + b, NCHW. x: (B, C, H, W), W: (F, C, k, k), b: (F).
    /// Attributes `stride`, `padding` (required), `relu` (optional).
    case conv2d = 2
    /// Max over `kernel`×`kernel` windows every `stride` pixels. x: (B, C, H, W).
    case maxPool = 3
    /// Mean over `kernel`×`kernel` windows every `stride` pixels. x: (B, C, H, W).
    case avgPool = 4
    /// y = max(x, 0).
    case relu = 5
    /// y = a + b, same shapes; uint8 values requantized to the output's encoding.
    case add = 6
    /// (B, d1, d2, ...) → (B, d1·d2·...).
    case flatten = 7
    /// Same elements, the output tensor's shape.
    case reshape = 8
    /// Float → int8/uint8 with the output tensor's quantization.
    case quantize = 9
    /// int8/uint8/int32 → float with the input tensor's quantization.
    case dequantize = 10
    /// Softmax over the last axis.
    case softmax = 11
    /// An LSTM over a sequence: x (B, T, F), W (4H, F), U (4H, H), [b (4H)], gates
    /// [i | f | g | o]; y (B, H), the last hidden state, or (B, T, H) with `sequence` 1.
    /// Attribute `cell_shift` (required): the integer cell state's units are 2^-cell_shift.
    case lstm = 12
    /// LayerNorm over the last axis: x (…, D), γ and β (D) float32 constants; y = γ·(x − μ)/
    /// √(σ² + ε) + β. Attribute `epsilon_exponent` (optional, default 5): ε = 10^-e.
    case layerNorm = 13
    /// Multi-head scaled dot-product self-attention: q, k, v (B, T, D) → (B, T, D), head h at
    /// columns h·D/heads …; per head softmax(Q Kᵀ/√d_h) V. Attribute `heads` (required).
    case attention = 14
    /// An element-wise function as a table: x uint8, table (256) uint8; y[i] = table[x[i]]
    /// (GELU, tanh or sigmoid of a quantized value, folded by the quantizer).
    case lookup = 15
    /// The mean over the tokens: x (B, T, D) → (B, D).
    case meanTokens = 16

    public var name: String {
        switch self {
        case .dense: return "Dense"
        case .conv2d: return "Conv2D"
        case .maxPool: return "MaxPool"
        case .avgPool: return "AvgPool"
        case .relu: return "ReLU"
        case .add: return "Add"
        case .flatten: return "Flatten"
        case .reshape: return "Reshape"
        case .quantize: return "Quantize"
        case .dequantize: return "Dequantize"
        case .softmax: return "Softmax"
        case .lstm: return "LSTM"
        case .layerNorm: return "LayerNorm"
        case .attention: return "Attention"
        case .lookup: return "Lookup"
        case .meanTokens: return "MeanTokens"
        }
    }

    /// Fewest and most inputs.
    public var inputArity: ClosedRange<Int> {
        switch self {
        case .dense, .conv2d: return 2 ... 3
        case .add, .lookup: return 2 ... 2
        case .lstm: return 3 ... 4
        case .layerNorm, .attention: return 3 ... 3
        default: return 1 ... 1
        }
    }

    /// Attribute keys this op accepts, with whether each is required and its range.
    public var attributeRules: [(key: String, required: Bool, range: ClosedRange<Int64>)] {
        switch self {
        case .dense: return [("relu", false, 0 ... 1)]
        case .conv2d: return [("stride", true, 1 ... 65536), ("padding", true, 0 ... 65536), ("relu", false, 0 ... 1)]
        case .maxPool, .avgPool: return [("kernel", true, 1 ... 65536), ("stride", true, 1 ... 65536)]
        case .lstm: return [("cell_shift", true, 0 ... 15), ("sequence", false, 0 ... 1)]
        case .layerNorm: return [("epsilon_exponent", false, 1 ... 30)]
        case .attention: return [("heads", true, 1 ... 65536)]
        default: return []
        }
    }
}

/// An integer attribute of a node.
public struct Attribute: Sendable, Equatable {
    public var key: String
    public var value: Int64
    public init(_ key: String, _ value: Int64) {
        self.key = key
        self.value = value
    }
}

/// One operation: reads `inputs`, writes `outputs` (indices into the tensor table).
public struct Node: Sendable, Equatable {
    public var op: OpCode
    public var name: String
    public var inputs: [Int]
    public var outputs: [Int]
    public var attributes: [Attribute]

    public init(op: OpCode, name: String, inputs: [Int], outputs: [Int], attributes: [Attribute] = []) {
        self.op = op
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    public func attribute(_ key: String) -> Int64? {
        for a in attributes where a.key.sameBytes(key) { return a.value }
        return nil
    }
}

/// The model's computation, in an order where every node reads only constants, graph
/// inputs and outputs of earlier nodes (so a cycle cannot be written).
public struct Graph: Sendable, Equatable {
    public var inputs: [Int]
    public var outputs: [Int]
    public var nodes: [Node]

    public init(inputs: [Int], outputs: [Int], nodes: [Node]) {
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
    }
}
