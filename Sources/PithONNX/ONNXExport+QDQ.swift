import PithFormat

/// An integer `.pith` model as QDQ ONNX (what ONNX Runtime's static quantizer writes and
/// fuses into its integer kernels): each uint8 value is QuantizeLinear → DequantizeLinear
/// with the file's (scale, zero point); int8 weights and int32 biases are initializers
/// behind DequantizeLinear per output channel (axis 0; the bias's scale s_x·s_w[c]); Dense
/// is Gemm, Conv2D Conv, a folded ReLU a Relu before the output's QuantizeLinear, pools and
/// flatten run on the dequantized value and are quantized again with their (equal)
/// encoding. The graph's input is float32 `input`, its output float32 `logits`. The
/// sequence ops (LSTM, LayerNorm, Attention, Lookup, MeanTokens) are not exported yet.
extension ONNXExport {
    public static func qdqBytes(_ m: PithModel) throws(ONNXError) -> [UInt8] {
        var nodes: [(op: String, inputs: [String], output: String, attributes: [(String, [Int64])])] = []
        var initializers: [(name: String, type: Int64, shape: [Int], raw: [UInt8])] = []
        var names: [Int: String] = [:]  // tensor index → the float name of its dequantized value
        var n = 0
        func fresh() -> String { n += 1; return "q\(n)" }
        func floats(_ name: String, _ v: [Float]) -> String {
            initializers.append((name, 1, v.count == 1 ? [] : [v.count], littleEndianBytes(v)))
            return name
        }
        func node(_ op: String, _ inputs: [String], _ attributes: [(String, [Int64])] = [], output: String? = nil) -> String {
            let out = output ?? fresh()
            nodes.append((op, inputs, out, attributes))
            return out
        }
        /// Q then DQ of float `x` with value `t`'s encoding.
        func requantize(_ x: String, _ t: Int) throws(ONNXError) -> String {
            guard case let .perTensor(s, z) = m.tensors[t].quantization, m.tensors[t].dtype == .uint8 else {
                throw ONNXError("tensor '\(m.tensors[t].name)'", "a value that is not uint8 per tensor is not exported to QDQ")
            }
            let scale = floats("\(m.tensors[t].name).scale", [s])
            let zero = "\(m.tensors[t].name).zero"
            initializers.append((zero, 2, [], [UInt8(clamping: z)]))
            return node("DequantizeLinear", [node("QuantizeLinear", [x, scale, zero]), scale, zero])
        }
        func input(_ node: Node, _ i: Int) throws(ONNXError) -> String {
            guard let name = names[node.inputs[i]] else { throw ONNXError("node '\(node.name)'", "input \(i) is not a value this export made") }
            return name
        }
        for nd in m.graph.nodes {
            let out = nd.outputs[0]
            switch nd.op {
            case .quantize:
                names[out] = try requantize(nd.inputs[0] == m.graph.inputs[0] ? "input" : try input(nd, 0), out)
            case .dequantize:
                names[out] = try input(nd, 0)
            case .dense, .conv2d:
                let w = m.tensors[nd.inputs[1]]
                guard case let .perChannel(0, sw, _) = w.quantization, w.dtype == .int8 else {
                    throw ONNXError("node '\(nd.name)'", "weights that are not int8 per output channel are not exported to QDQ")
                }
                guard case let .perTensor(sx, _) = m.tensors[nd.inputs[0]].quantization else { throw ONNXError("node '\(nd.name)'", "a float input is not exported to QDQ") }
                guard nd.op == .conv2d || m.tensors[nd.inputs[0]].shape.count == 1 else {
                    throw ONNXError("node '\(nd.name)'", "a Dense layer over a sequence is not exported to QDQ yet")
                }
                initializers.append((w.name, 3, w.shape, m.data[nd.inputs[1]]))
                let wScale = floats("\(w.name).scale", sw)
                initializers.append(("\(w.name).zero", 3, [sw.count], [UInt8](repeating: 0, count: sw.count)))
                var inputs = [try input(nd, 0), node("DequantizeLinear", [w.name, wScale, "\(w.name).zero"], [("axis", [0])])]
                if nd.inputs.count > 2 {
                    let b = m.tensors[nd.inputs[2]]
                    initializers.append((b.name, 6, b.shape, m.data[nd.inputs[2]]))
                    let bScale = floats("\(b.name).scale", sw.map { sx * $0 })
                    initializers.append(("\(b.name).zero", 6, [sw.count], [UInt8](repeating: 0, count: 4 * sw.count)))
                    inputs.append(node("DequantizeLinear", [b.name, bScale, "\(b.name).zero"], [("axis", [0])]))
                }
                var y: String
                if nd.op == .dense {
                    y = node("Gemm", inputs, [("transB", [1])])
                } else {
                    let k = Int64(w.shape[2]), stride = nd.attribute("stride")!, pad = nd.attribute("padding")!
                    y = node("Conv", inputs, [("kernel_shape", [k, k]), ("strides", [stride, stride]), ("pads", [pad, pad, pad, pad])])
                }
                if nd.attribute("relu") == 1 { y = node("Relu", [y]) }
                names[out] = try requantize(y, out)
            case .maxPool, .avgPool:
                let k = nd.attribute("kernel")!, stride = nd.attribute("stride")!
                let y = node(nd.op == .maxPool ? "MaxPool" : "AveragePool", [try input(nd, 0)], [("kernel_shape", [k, k]), ("strides", [stride, stride])])
                names[out] = try requantize(y, out)
            case .relu:
                names[out] = try requantize(node("Relu", [try input(nd, 0)]), out)
            case .flatten, .reshape:
                names[out] = node("Flatten", [try input(nd, 0)], [("axis", [1])])
            default:
                throw ONNXError("node '\(nd.name)'", "\(nd.op.name) is not exported to QDQ ONNX yet")
            }
        }
        guard let last = names[m.graph.outputs[0]] else { throw ONNXError("graph", "the output is not a value this export made") }
        _ = node("Identity", [last], output: "logits")
        let inputShape = m.tensors[m.graph.inputs[0]].shape, outputShape = m.tensors[m.graph.outputs[0]].shape
        return serialize(name: m.metadata.string("model.name") ?? "pith", nodes: nodes, initializers: initializers,
                         inputShape: inputShape, outputShape: outputShape, opset: 17)
    }
}
