import PithFormat
import PithNN
import PithTensor

/// How the weights of Dense and Conv2D layers are stored in the exported file.
public enum WeightPrecision: String, Sendable, CaseIterable {
    /// float32 weights and biases: the float model exactly.
    case float32
    /// int8 weights, symmetric per output channel, float32 biases: the runtime
    /// dequantizes them once at load ("weight-only" quantization). Activations stay
    /// float; the fully integer model comes from `pith quantize`.
    case int8
}

/// Turns a trained `Model` into the `.pith` graph (docs/FORMAT.md): one node per layer,
/// values named `input`, `layerN` and `logits`, constants `layerN.weight`/`layerN.bias`.
/// Dropout is dropped (it is the identity at inference); a Dense layer whose input is
/// not flat gets a Flatten node first, as the trainer flattens implicitly.
public enum GraphExport {
    /// Why `d` cannot become a `.pith` graph (a layer with no op in version 1), or nil. The
    /// training stages ask before the first epoch, so no run trains a model it cannot ship.
    public static func exportProblem(_ d: ModelDescription) -> String? {
        for (i, spec) in d.layers.enumerated() {
            switch spec {
            case .gelu, .tanh, .sigmoid:
                return "\(d.name): layer \(i + 1) '\(spec.text)' has no op in .pith version 1 (Dense, Conv2D, ReLU, MaxPool, AvgPool, Flatten)"
            case .dropout where i == d.layers.count - 1:
                return "\(d.name): layer \(i + 1) is a final dropout; nothing to export after it"
            default: continue
            }
        }
        return nil
    }

    public static func pithModel(_ model: Model, weights: WeightPrecision, metadata: Metadata) throws(PithError) -> PithModel {
        let d = model.description
        var m = PithModel(metadata: metadata, tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        var current = m.addValue("input", dtype: .float32, shape: d.inputShape)
        m.graph.inputs = [current]
        var nodes: [Node] = []
        let params = model.parameters
        var nextParam = 0
        for (i, spec) in d.layers.enumerated() {
            let name = "layer\(i + 1)"
            let isLast = i == d.layers.count - 1
            let outShape = d.shapes[i + 1]
            func output() -> Int { m.addValue(isLast ? "logits" : name, dtype: .float32, shape: outShape) }
            switch spec {
            case .dense, .conv:
                let w = params[nextParam], b = params[nextParam + 1]
                nextParam += 2
                var x = current
                if case .dense = spec, d.shapes[i].count > 1 {
                    x = m.addValue("\(name).flat", dtype: .float32, shape: [d.shapes[i].reduce(1, *)])
                    nodes.append(Node(op: .flatten, name: "\(name).flatten", inputs: [current], outputs: [x]))
                }
                let wIndex: Int
                switch weights {
                case .float32:
                    wIndex = m.addConstant("\(name).weight", dtype: .float32, shape: w.shape, bytes: littleEndianBytes(w.scalars))
                case .int8:
                    let q = WeightQuantizer.perChannelSymmetric(w.scalars, channels: w.shape[0])
                    wIndex = m.addConstant("\(name).weight", dtype: .int8, shape: w.shape, bytes: q.bytes,
                                           quantization: .perChannel(axis: 0, scales: q.scales, zeroPoints: Array(repeating: 0, count: q.channels)))
                }
                let bIndex = m.addConstant("\(name).bias", dtype: .float32, shape: b.shape, bytes: littleEndianBytes(b.scalars))
                current = output()
                if case let .conv(_, _, stride, padding) = spec {
                    nodes.append(Node(op: .conv2d, name: name, inputs: [x, wIndex, bIndex], outputs: [current],
                                      attributes: [Attribute("stride", Int64(stride)), Attribute("padding", Int64(padding))]))
                } else {
                    nodes.append(Node(op: .dense, name: name, inputs: [x, wIndex, bIndex], outputs: [current]))
                }
            case .relu, .flatten:
                let input = current
                current = output()
                nodes.append(Node(op: spec == .relu ? .relu : .flatten, name: name, inputs: [input], outputs: [current]))
            case let .maxPool(k, s), let .avgPool(k, s):
                let input = current
                current = output()
                let op: OpCode = { if case .maxPool = spec { return .maxPool } else { return .avgPool } }()
                nodes.append(Node(op: op, name: name, inputs: [input], outputs: [current],
                                  attributes: [Attribute("kernel", Int64(k)), Attribute("stride", Int64(s))]))
            case .dropout, .gelu, .tanh, .sigmoid:
                if let problem = exportProblem(d) { throw .mismatch(problem) }
            }
        }
        m.graph.nodes = nodes
        m.graph.outputs = [current]
        return m
    }

    /// A model whose Dense/Conv2D weights are replaced by what `precision` stores, to
    /// measure the accuracy of exactly the exported weights with the float toolchain.
    public static func applyWeightPrecision(_ precision: WeightPrecision, to model: Model) {
        guard precision == .int8 else { return }
        for layer in model.layers {
            let w: Tensor
            switch layer {
            case let .dense(d): w = d.weight
            case let .conv(c): w = c.weight
            case .other: continue
            }
            let q = WeightQuantizer.perChannelSymmetric(w.scalars, channels: w.shape[0]).dequantized()
            for i in 0..<w.count { w.data[i] = q[i] }
        }
    }
}
