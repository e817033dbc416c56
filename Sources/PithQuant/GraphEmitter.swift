import PithFormat
import PithNN
import PithTensor

/// The one writer of a trained `Model`'s `.pith` graph (docs/FORMAT.md), for `pack` and
/// `quantize` alike: it walks the model's stages once — one node per stage, the weighted
/// ones with their `.weight` and `.bias` constants, the convolutions and pools with their
/// attributes — and asks the precision for the dtypes, the tensors' bytes and the
/// Quantize/Dequantize nodes at the ends.
///
/// - `.float(.float32)`: float32 everywhere, the float model exactly.
/// - `.float(.int8)`: weight-only int8, symmetric per output channel, float32 biases and
///   activations (the runtime dequantizes the weights once at load).
/// - `.integer(ranges:)`: Quantize(input) → uint8 activations (per tensor, from the ranges
///   at the quantization points; pools and flatten keep their input's encoding), int8
///   weights per output channel, int32 biases in units of s_x·s_w[c], ReLU folded into the
///   output clamp (the `relu` attribute), a position embedding folded into the bias of the
///   Dense layer before it (a bias per token), GELU/tanh/sigmoid as 256-entry Lookup
///   tables, LayerNorm and MeanTokens nodes, a Transformer block as its twelve nodes
///   (`transformerBlock`) → Dequantize → float logits.
///
/// Names: in a float graph node and value `layerN` for description layer N (the last
/// value `logits`); in the integer graph `stageN` for the N-th stage, then `logits`.
enum GraphEmitter {
    enum Precision {
        case float(WeightPrecision)
        /// One range per quantization point (`QuantizationPoints`): [0] the input, [k] the
        /// k-th weighted stage's output.
        /// `cellShifts`: each LSTM's cell-state shift, by description layer (LSTMCalibration).
        case integer(ranges: [ActivationRange], cellShifts: [Int: Int])
    }

    /// The stages of `d`'s float graph: every layer but dropout, ReLU a node of its own.
    static func floatStages(_ d: ModelDescription) throws(PithError) -> [GraphStage] {
        if let problem = GraphExport.exportProblem(d) { throw .mismatch(problem) }
        return d.layers.indices.compactMap { i in
            if case .dropout = d.layers[i] { return nil }
            return GraphStage(layer: i, spec: d.layers[i])
        }
    }

    /// The graph of `model` through `stages` (`floatStages` for a float precision,
    /// `QuantizationPoints.stages` for the integer one).
    static func emit(_ model: Model, stages: [GraphStage], precision: Precision, metadata: Metadata) -> PithModel {
        let d = model.description
        var m = PithModel(metadata: metadata, tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let input = m.addValue("input", dtype: .float32, shape: d.inputShape)
        var current = input
        var nodes: [Node] = []
        if case let .integer(ranges, _) = precision {
            current = m.addValue("input.q", dtype: .uint8, shape: d.inputShape, quantization: ranges[0].quantization)
            nodes.append(Node(op: .quantize, name: "quantize", inputs: [input], outputs: [current]))
        }
        // Weighted layers keep their description order in `Model.layers`.
        var weights = model.layers.lazy.map(\.parameters).filter { !$0.isEmpty }.makeIterator()
        for (s, stage) in stages.enumerated() {
            let name: String, outputName: String
            let dtype: DType, quantization: Quantization
            switch precision {
            case .float:
                name = "layer\(stage.layer + 1)"
                outputName = s == stages.count - 1 ? "logits" : name
                (dtype, quantization) = (.float32, .none)
            case let .integer(ranges, _):
                name = "stage\(s + 1)"
                outputName = name
                (dtype, quantization) = (.uint8, stage.outputPoint.map { ranges[$0].quantization } ?? m.tensors[current].quantization)
            }
            let x = current
            var inputs = [x], attributes: [Attribute] = []
            let outputShape = d.shapes[stage.end + 1]
            switch stage.spec {
            case .dense, .conv:
                let p = weights.next()!
                let (w, b) = (p[0], p[1])
                if stage.position {
                    // The table P (T, out) joins the bias: b[c] + P[t][c] per token.
                    let table = weights.next()![0]
                    let tokenBias = Tensor((0..<table.count).map { b.data[$0 % b.count] + table.data[$0] }, shape: table.shape)
                    inputs += constants(&m, name, weight: w, bias: tokenBias, precision: precision, input: x)
                } else {
                    inputs += constants(&m, name, weight: w, bias: b, precision: precision, input: x)
                }
                if case let .conv(_, _, stride, padding) = stage.spec {
                    attributes = [Attribute("stride", Int64(stride)), Attribute("padding", Int64(padding))]
                }
                if stage.relu { attributes.append(Attribute("relu", 1)) }
            case let .lstm(_, sequence):
                let p = weights.next()!
                inputs += lstmConstants(&m, name, p, input: x)
                if case let .integer(_, cellShifts) = precision {
                    attributes.append(Attribute("cell_shift", Int64(cellShifts[stage.layer] ?? 15)))
                }
                if sequence { attributes.append(Attribute("sequence", 1)) }
            case let .maxPool(k, stride), let .avgPool(k, stride):
                attributes = [Attribute("kernel", Int64(k)), Attribute("stride", Int64(stride))]
            case .layerNorm:
                inputs += layerNormConstants(&m, name, weights.next()!)
            case .gelu, .tanh, .sigmoid:
                let out = m.addValue(outputName, dtype: dtype, shape: outputShape, quantization: quantization)
                nodes.append(lookup(&m, name, stage.spec, input: x, output: out))
                current = out
                continue
            case let .transformerBlock(heads, _):
                guard case let .integer(ranges, _) = precision else { preconditionFailure("the Transformer block is integer only") }
                current = transformerBlock(&m, &nodes, name, weights.next()!, heads: heads, input: x, shape: outputShape,
                                           ranges: Array(ranges[stage.point! ..< stage.point! + stage.points]))
                continue
            case .relu, .flatten, .meanTokens: break
            case .dropout, .position:
                preconditionFailure("no stage holds \(stage.spec.text)")
            }
            current = m.addValue(outputName, dtype: dtype, shape: outputShape, quantization: quantization)
            nodes.append(Node(op: stage.spec.opCode, name: name, inputs: inputs, outputs: [current], attributes: attributes))
        }
        var output = current
        if case .integer = precision {
            output = m.addValue("logits", dtype: .float32, shape: d.shapes[d.layers.count])
            nodes.append(Node(op: .dequantize, name: "dequantize", inputs: [current], outputs: [output]))
        }
        m.graph = Graph(inputs: [input], outputs: [output], nodes: nodes)
        return m
    }

    /// An LSTM stage's constants: W (4H, F) and U (4H, H) int8 per gate row, the bias
    /// int32 in units of s_x·s_w[r] (the integer graph only).
    static func lstmConstants(_ m: inout PithModel, _ name: String, _ p: [Tensor], input: Int) -> [Int] {
        let (w, wScales) = int8PerChannel(&m, "\(name).weight_ih", p[0])
        let (u, _) = int8PerChannel(&m, "\(name).weight_hh", p[1])
        return [w, u, int32Bias(&m, "\(name).bias", p[2], input: input, weightScales: wScales)]
    }

    /// The weight and bias constants of weighted stage `name` whose input is `input`.
    static func constants(_ m: inout PithModel, _ name: String, weight w: Tensor, bias b: Tensor, precision: Precision, input: Int) -> [Int] {
        if case .float(.float32) = precision {
            return float32Constants(&m, name, weight: w, bias: b)
        }
        let (wIndex, scales) = int8PerChannel(&m, "\(name).weight", w)
        guard case .integer = precision else {
            return [wIndex, m.addConstant("\(name).bias", dtype: .float32, shape: b.shape, bytes: littleEndianBytes(b.scalars))]
        }
        return [wIndex, int32Bias(&m, "\(name).bias", b, input: input, weightScales: scales)]
    }

    /// `name.weight` and `name.bias` as float32 constants.
    static func float32Constants(_ m: inout PithModel, _ name: String, weight w: Tensor, bias b: Tensor) -> [Int] {
        [m.addConstant("\(name).weight", dtype: .float32, shape: w.shape, bytes: littleEndianBytes(w.scalars)),
         m.addConstant("\(name).bias", dtype: .float32, shape: b.shape, bytes: littleEndianBytes(b.scalars))]
    }

    /// `w` as an int8 constant, symmetric per output channel (axis 0), and its scales.
    static func int8PerChannel(_ m: inout PithModel, _ name: String, _ w: Tensor) -> (index: Int, scales: [Float]) {
        let q = WeightQuantizer.perChannelSymmetric(w.scalars, channels: w.shape[0])
        let index = m.addConstant(name, dtype: .int8, shape: w.shape, bytes: q.bytes,
                                  quantization: .perChannel(axis: 0, scales: q.scales, zeroPoints: Array(repeating: 0, count: q.channels)))
        return (index, q.scales)
    }

    /// The bias `b` as an int32 constant in units of s_x·s_w[c] (s_x the scale of value
    /// `input`), rounded to nearest, within ±(2³¹ − 1). A bias per token (T, N) has channel
    /// c = i mod N at index i.
    static func int32Bias(_ m: inout PithModel, _ name: String, _ b: Tensor, input: Int, weightScales: [Float]) -> Int {
        guard case let .perTensor(sx, _) = m.tensors[input].quantization else { preconditionFailure("integer values are per tensor") }
        let n = weightScales.count
        let bias: [Int32] = (0..<b.count).map { i in
            let v = (Double(b.data[i]) / (Double(sx) * Double(weightScales[i % n]))).rounded()
            return Int32(max(-2_147_483_647, min(2_147_483_647, v)))
        }
        return m.addConstant(name, dtype: .int32, shape: b.count == n ? [n] : b.shape, bytes: littleEndianBytes(bias))
    }
}

extension ActivationRange {
    /// The range's uint8 encoding as a tensor's quantization.
    var quantization: Quantization {
        let e = encoding
        return .perTensor(scale: e.scale, zeroPoint: e.zero)
    }
}

extension LayerSpec {
    /// The `.pith` op of a layer that has one.
    var opCode: OpCode {
        switch self {
        case .dense: return .dense
        case .conv: return .conv2d
        case .maxPool: return .maxPool
        case .avgPool: return .avgPool
        case .relu: return .relu
        case .flatten: return .flatten
        case .lstm: return .lstm
        case .layerNorm: return .layerNorm
        case .meanTokens: return .meanTokens
        case .gelu, .tanh, .sigmoid: return .lookup
        case .dropout, .position, .transformerBlock:
            preconditionFailure("\(text) has no .pith op of its own")
        }
    }
}
