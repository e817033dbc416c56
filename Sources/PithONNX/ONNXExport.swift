import PithFormat
import PithNN
import PithTensor

/// A Pith model as an ONNX file (float32, opset 17, what ONNX Runtime and every other
/// runtime read): one node per layer — Gemm (transB 1) for `dense`, Conv for `conv`,
/// MaxPool/AveragePool, Relu, Sigmoid, Tanh, GELU as its erf form (Div by √2, Erf, Add 1,
/// Mul by x, Mul by ½: Gelu itself needs opset 20), Flatten; dropout is dropped. Input
/// `input` (N, …) and output `logits` (N, classes), N symbolic. Sequence layers are not
/// exported yet (one line names the layer).
public enum ONNXExport {
    public static let opset: Int64 = 17

    public static func bytes(_ model: Model) throws(ONNXError) -> [UInt8] {
        let d = model.description
        var nodes: [(op: String, inputs: [String], output: String, attributes: [(String, [Int64])])] = []
        var initializers: [(String, [Int], [Float])] = []
        var current = "input", n = 0
        func value() -> String { n += 1; return "v\(n)" }
        func constant(_ name: String, _ shape: [Int], _ values: [Float]) -> String {
            initializers.append((name, shape, values))
            return name
        }
        func node(_ op: String, _ inputs: [String], _ attributes: [(String, [Int64])] = []) -> String {
            let out = value()
            nodes.append((op, inputs, out, attributes))
            return out
        }
        var weights = model.layers.lazy.map(\.parameters).filter { !$0.isEmpty }.makeIterator()
        for (i, spec) in d.layers.enumerated() {
            let name = "layer\(i + 1)"
            switch spec {
            case .dense:
                guard d.shapes[i].count == 1 else { throw ONNXError("\(d.name) layer \(i + 1)", "a dense layer over a sequence is not exported yet") }
                let p = weights.next()!
                current = node("Gemm", [current, constant("\(name).weight", p[0].shape, p[0].scalars), constant("\(name).bias", p[1].shape, p[1].scalars)],
                               [("transB", [1])])
            case let .conv(_, k, stride, padding):
                let p = weights.next()!
                let pads = Int64(padding), s = Int64(stride)
                current = node("Conv", [current, constant("\(name).weight", p[0].shape, p[0].scalars), constant("\(name).bias", p[1].shape, p[1].scalars)],
                               [("kernel_shape", [Int64(k), Int64(k)]), ("strides", [s, s]), ("pads", [pads, pads, pads, pads])])
            case let .maxPool(k, stride), let .avgPool(k, stride):
                let op: String
                if case .maxPool = spec { op = "MaxPool" } else { op = "AveragePool" }
                current = node(op, [current], [("kernel_shape", [Int64(k), Int64(k)]), ("strides", [Int64(stride), Int64(stride)])])
            case .relu: current = node("Relu", [current])
            case .sigmoid: current = node("Sigmoid", [current])
            case .tanh: current = node("Tanh", [current])
            case .gelu:
                let x = current
                let erf = node("Erf", [node("Div", [x, constant("\(name).sqrt2", [], [Float(2).squareRoot()])])])
                let onePlus = node("Add", [erf, constant("\(name).one", [], [1])])
                current = node("Mul", [node("Mul", [x, onePlus]), constant("\(name).half", [], [0.5])])
            case .flatten: current = node("Flatten", [current], [("axis", [1])])
            case .dropout: continue
            case .lstm, .position, .layerNorm, .transformerBlock, .meanTokens:
                throw ONNXError("\(d.name) layer \(i + 1)", "'\(spec.text)' is not exported to ONNX yet")
            }
        }
        if let last = nodes.indices.last { nodes[last].output = "logits" } else {
            throw ONNXError(d.name, "a model without layers has no ONNX graph")
        }
        return serialize(name: d.name, nodes: nodes, initializers: initializers.map { ($0.0, 1, $0.1, littleEndianBytes($0.2)) },
                         inputShape: d.inputShape, outputShape: d.shapes.last!, opset: opset)
    }

    /// The ModelProto of `nodes` (outputs named), `initializers` (name, ONNX data type, shape,
    /// little-endian bytes), a float input `input` (N, inputShape) and output `logits`.
    static func serialize(name: String, nodes: [(op: String, inputs: [String], output: String, attributes: [(String, [Int64])])],
                          initializers: [(name: String, type: Int64, shape: [Int], raw: [UInt8])],
                          inputShape: [Int], outputShape: [Int], opset: Int64) -> [UInt8] {
        var w = ProtobufWriter()
        w.int(1, 8)                                   // ir_version 8
        w.string(2, "pith")                           // producer_name
        w.message(8) { $0.string(1, ""); $0.int(2, opset) }  // opset_import
        w.message(7) { g in
            for nd in nodes {
                g.message(1) { m in
                    for input in nd.inputs { m.string(1, input) }
                    m.string(2, nd.output)
                    m.string(4, nd.op)
                    for (key, values) in nd.attributes {
                        m.message(5) { a in
                            a.string(1, key)
                            if key == "axis" || key == "transB" {
                                a.int(3, values[0]); a.int(20, 2)   // INT
                            } else {
                                for v in values { a.int(8, v) }; a.int(20, 7)  // INTS
                            }
                        }
                    }
                }
            }
            g.string(2, name)
            for t in initializers {
                g.message(5) { m in
                    m.packed(1, t.shape.map { Int64($0) })
                    m.int(2, t.type)
                    m.string(8, t.name)
                    m.data(9, t.raw)
                }
            }
            func valueInfo(_ g: inout ProtobufWriter, _ field: Int, _ name: String, _ shape: [Int]) {
                g.message(field) { v in
                    v.string(1, name)
                    v.message(2) { type in
                        type.message(1) { tensor in
                            tensor.int(1, 1)
                            tensor.message(2) { s in
                                s.message(1) { dim in dim.string(2, "N") }
                                for dimension in shape { s.message(1) { dim in dim.int(1, Int64(dimension)) } }
                            }
                        }
                    }
                }
            }
            valueInfo(&g, 11, "input", inputShape)
            valueInfo(&g, 12, "logits", outputShape)
        }
        return w.bytes
    }
}
