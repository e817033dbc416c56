import PithIO
import PithNN
import PithTensor

/// An ONNX graph lowered to a Pith model: the description and the weights in
/// `Layer.parameters` order. What PyTorch exports from a chain of layers (opsets 13–20):
///
/// - Gemm (transA 0, any transB, alpha/beta folded), MatMul with a constant (K, N) weight and
///   the Add of a constant bias after it → `dense`;
/// - Conv (square kernel, equal strides and pads, group 1, no dilation), BatchNormalization
///   after it folded into its weights → `conv`; MaxPool, AveragePool (no padding),
///   GlobalAveragePool → `maxpool`/`avgpool`;
/// - Relu, Sigmoid, Tanh, Gelu and the erf chain of GELU that exporters before opset 20
///   write (Div by √2, Erf, Add 1, Mul by x and by 1/2, in either order) → the layer of that
///   name; Flatten (axis 1), and Reshape to
///   (batch, −1) → `flatten`; Dropout, Identity and a final Softmax (Pith's models give
///   logits; the class is the same) → nothing;
/// - LSTM (forward, default activations; ONNX's gates i, o, f, c reordered to Pith's i, f, g,
///   o, its two biases summed) between the Transposes to and from time-major, its initial
///   states ConstantOfShape zeros, and the Squeeze/Gather that take its last step → `lstm H`
///   (or `lstm H sequence`); a Reshape of the input itself ((1, 28, 28) as 28 rows) → the
///   model's input shape;
/// - Constant, and the shape subgraphs PyTorch writes for `x.view(x.size(0), -1)` (Shape,
///   Gather, Unsqueeze, Concat) folded at import.
///
/// Anything else gets one line naming the node, its op and the opset (`supportedOps`).
public struct ONNXImport {
    public let description: ModelDescription
    /// The weights, in the order `Model.parameters` lists them.
    public let parameters: [[Float]]

    /// The ops the importer lowers (`pith import --list-ops`).
    public static let supportedOps = ["Add", "AveragePool", "BatchNormalization", "Concat", "Constant", "ConstantOfShape (LSTM states)", "Conv",
                                      "Div (GELU's x/√2)", "Dropout", "Erf (GELU)", "Flatten", "Gather", "Gelu", "Gemm", "GlobalAveragePool",
                                      "Identity", "LSTM", "MatMul", "MaxPool", "Mul (GELU's)", "Relu", "Reshape", "Shape", "Sigmoid", "Softmax",
                                      "Squeeze (LSTM outputs)", "Tanh", "Transpose (sequences)", "Unsqueeze"]

    /// A value of the graph as the lowering knows it.
    enum Value {
        /// The activation (the one data path), with its shape without the batch axis.
        case activation([Int])
        case constant(ONNXTensor)
        /// A shape vector whose first entry is the batch (nil) when `batch` is set.
        case shape([Int64?])
        /// A sequence (T, F) held time-major, (T, N, F) (after Transpose perm [1, 0, 2]).
        case timeMajor([Int])
        /// An LSTM's outputs before the squeezes: Y (T, 1, N, H) and Y_h (1, N, H).
        case lstmSequence([Int])
        case lstmLast([Int])
        /// Zeros of a computed shape (ConstantOfShape: an LSTM's initial states).
        case zeros
        /// Part of the erf form of GELU, x/2·(1 + erf(x/√2)), as exporters spell it out, of
        /// the activation named `source`.
        case gelu(GELUPart, source: String)
    }

    public init(_ model: ONNXModel, name: String) throws(ONNXError) {
        let g = model.graph
        let opset = model.opset
        var values: [String: Value] = [:]
        for t in g.initializers { values[t.name] = .constant(t) }
        // The data input: the one graph input that is not an initializer.
        let inputs = g.inputs.filter { values[$0.name] == nil }
        guard inputs.count == 1 else { throw ONNXError("graph.input", "\(inputs.count) inputs besides the weights (one is imported)") }
        let input = inputs[0]
        guard input.shape.count >= 2, input.shape.dropFirst().allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ONNXError("graph.input '\(input.name)'", "shape \(input.shape.map { $0.map(String.init) ?? "?" }) is not (batch, features...) with known sizes")
        }
        var inputShape = input.shape.dropFirst().map { $0! }
        guard inputShape.count <= 3, inputShape.allSatisfy({ $0 <= ModelDescription.maxDimension }) else {
            throw ONNXError("graph.input '\(input.name)'", "shape \(inputShape) is not (features), (T, F) or (C, H, W) with sizes up to 2^20")
        }
        values[input.name] = .activation(inputShape)
        var layers: [LayerSpec] = [], parameters: [[Float]] = []
        /// The last layer, when the activation is its output (a bias or batch norm may fold into it).
        var lastOutput: String? = nil

        func fail(_ node: ONNXNode, _ problem: String) -> ONNXError {
            ONNXError("node '\(node.name)' (\(node.opType), opset \(opset))", problem)
        }
        /// Input i as a constant: float32 (weights), or with `integers` an integer tensor.
        func constant(_ node: ONNXNode, _ i: Int, integers: Bool = false) throws(ONNXError) -> ONNXTensor {
            guard i < node.inputs.count, case let .constant(t)? = values[node.inputs[i]] else {
                throw fail(node, "input \(i) must be a constant (an initializer)")
            }
            guard (t.dataType == .float) != integers else {
                throw fail(node, "input \(i) '\(node.inputs[i])' must be \(integers ? "an integer" : "a float32") tensor")
            }
            return t
        }
        func activation(_ node: ONNXNode) throws(ONNXError) -> [Int] {
            guard let first = node.inputs.first, case let .activation(s)? = values[first] else {
                throw fail(node, "its first input is not the model's data path")
            }
            return s
        }
        func output(_ node: ONNXNode, _ v: Value, layer: LayerSpec? = nil, weights: [[Float]] = []) throws(ONNXError) {
            guard let out = node.outputs.first else { throw fail(node, "has no output") }
            values[out] = v
            if let layer {
                layers.append(layer)
                parameters += weights
                lastOutput = out
            }
        }

        for node in g.nodes {
            guard node.domain.isEmpty || node.domain == "ai.onnx" else { throw fail(node, "domain '\(node.domain)' is not imported") }
            // A step of GELU's erf chain (Div, Erf, Add, Mul), or its end.
            if let (part, source) = Self.geluStep(node, values) {
                if let part {
                    try output(node, .gelu(part, source: source))
                } else {
                    guard case let .activation(s)? = values[source] else { throw fail(node, "GELU of a value off the data path") }
                    try output(node, .activation(s), layer: .gelu)
                }
                continue
            }
            // Every op but Constant reads its first input (node.inputs[0] below).
            guard node.opType == "Constant" || !node.inputs.isEmpty else { throw fail(node, "has no inputs") }
            switch node.opType {
            case "Constant":
                guard let t = node.attributes["value"]?.tensor else { throw fail(node, "only a tensor 'value' is imported") }
                try output(node, .constant(t))
            case "Identity", "Dropout":
                guard let v = node.inputs.first.flatMap({ values[$0] }) else { throw fail(node, "input is unknown") }
                try output(node, v)
                if node.inputs.first == lastOutput { lastOutput = node.outputs.first }
            case "Shape":
                let s = try activation(node)
                try output(node, .shape([nil] + s.map { Int64($0) }))
            case "Gather" where { if case .activation? = values[node.inputs[0]] { return true } else { return false } }():
                // The last step of an LSTM's sequence: h[:, -1].
                let s = try activation(node)
                let idx = try constant(node, 1, integers: true)
                guard (node.int("axis") ?? 0) == 1, s.count == 2, idx.elements == 1, idx.ints[0] == -1 || idx.ints[0] == Int64(s[0] - 1) else {
                    throw fail(node, "only the last step of a sequence (axis 1, index −1) is gathered")
                }
                try lastStep(node, [s[1]])
            case "Gather":
                guard case let .shape(v)? = values[node.inputs[0]] else { throw fail(node, "gathers only from a shape") }
                let idx = try constant(node, 1, integers: true)
                var picked: [Int64?] = []
                for i in idx.ints {
                    let j = i < 0 ? Int(i) + v.count : Int(i)
                    guard j >= 0, j < v.count else { throw fail(node, "index \(i) outside the shape's \(v.count) entries") }
                    picked.append(v[j])
                }
                try output(node, .shape(picked))
            case "Unsqueeze":
                guard case let .shape(v)? = values[node.inputs[0]] else { throw fail(node, "unsqueezes only a shape entry") }
                try output(node, .shape(v))
            case "Concat":
                var all: [Int64?] = []
                for name in node.inputs {
                    switch values[name] {
                    case let .shape(v)?: all += v
                    case let .constant(t)? where t.dataType == .int64: all += t.ints.map { Optional($0) }
                    default: throw fail(node, "concatenates only shapes and integer constants")
                    }
                }
                try output(node, .shape(all))
            case "Gemm":
                let s = try activation(node)
                guard s.count == 1 else { throw fail(node, "input of shape \(s) is not flat") }
                guard (node.int("transA") ?? 0) == 0 else { throw fail(node, "transA 1 is not imported") }
                let b = try constant(node, 1)
                guard b.dims.count == 2 else { throw fail(node, "weight of shape \(b.dims) is not 2-D") }
                let transB = (node.int("transB") ?? 0) == 1
                let (out, k) = transB ? (b.dims[0], b.dims[1]) : (b.dims[1], b.dims[0])
                guard k == s[0] else { throw fail(node, "weight \(b.dims) does not take \(s[0]) inputs") }
                let alpha = node.float("alpha") ?? 1, beta = node.float("beta") ?? 1
                var w = [Float](repeating: 0, count: out * k)
                for o in 0 ..< out { for i in 0 ..< k { w[o * k + i] = alpha * (transB ? b.floats[o * k + i] : b.floats[i * out + o]) } }
                var bias = [Float](repeating: 0, count: out)
                if node.inputs.count > 2, !node.inputs[2].isEmpty {
                    let c = try constant(node, 2)
                    guard c.elements == out || c.elements == 1 else { throw fail(node, "bias of shape \(c.dims) for \(out) outputs") }
                    for o in 0 ..< out { bias[o] = beta * (c.elements == 1 ? c.floats[0] : c.floats[o]) }
                }
                try output(node, .activation([out]), layer: .dense(units: out), weights: [w, bias])
            case "MatMul":
                let s = try activation(node)
                let b = try constant(node, 1)
                guard b.dims.count == 2, b.dims[0] == s.last else { throw fail(node, "weight \(b.dims) does not take inputs of shape \(s)") }
                let (k, out) = (b.dims[0], b.dims[1])
                var w = [Float](repeating: 0, count: out * k)
                for o in 0 ..< out { for i in 0 ..< k { w[o * k + i] = b.floats[i * out + o] } }
                try output(node, .activation(Array(s.dropLast()) + [out]), layer: .dense(units: out), weights: [w, [Float](repeating: 0, count: out)])
            case "Add":
                // A constant bias after the Dense (MatMul) or Conv layer that made the activation.
                let s = try activation(node)
                let c = try constant(node, 1)
                guard node.inputs[0] == lastOutput, let last = layers.last, parameters.count >= 2 else {
                    throw fail(node, "adds a constant to something other than a Dense or Conv layer's output")
                }
                let n = parameters[parameters.count - 1].count
                switch last {
                case .dense:
                    guard c.elements == n else { throw fail(node, "bias of shape \(c.dims) for \(n) outputs") }
                    for o in 0 ..< n { parameters[parameters.count - 1][o] += c.floats[o] }
                case .conv:
                    guard c.elements == n, c.dims.filter({ $0 != 1 }).count <= 1 else { throw fail(node, "bias of shape \(c.dims) for \(n) channels") }
                    for o in 0 ..< n { parameters[parameters.count - 1][o] += c.floats[o] }
                default: throw fail(node, "adds a constant after \(last.text)")
                }
                try output(node, .activation(s))
                lastOutput = node.outputs.first
            case "Conv":
                let s = try activation(node)
                let w = try constant(node, 1)
                guard s.count == 3, w.dims.count == 4, w.dims[1] == s[0], w.dims[2] == w.dims[3] else {
                    throw fail(node, "weight \(w.dims) on input \(s): a 2-D convolution with a square kernel is imported")
                }
                guard (node.int("group") ?? 1) == 1 else { throw fail(node, "group \(node.int("group")!) (grouped convolutions are not imported)") }
                guard (node.ints("dilations") ?? [1, 1]).allSatisfy({ $0 == 1 }) else { throw fail(node, "dilations are not imported") }
                let strides = node.ints("strides") ?? [1, 1], pads = node.ints("pads") ?? [0, 0, 0, 0]
                guard strides.count == 2, strides[0] == strides[1], pads.count == 4, Set(pads).count == 1,
                      (1 ... 65536).contains(strides[0]), (0 ... 65536).contains(pads[0]) else {
                    throw fail(node, "strides \(strides) and pads \(pads): equal strides (1...65,536) and pads on every side (0...65,536) are imported")
                }
                if let auto = node.attributes["auto_pad"]?.string, auto != "NOTSET" { throw fail(node, "auto_pad \(auto) is not imported") }
                let (f, k, stride, pad) = (w.dims[0], w.dims[2], Int(strides[0]), Int(pads[0]))
                var bias = [Float](repeating: 0, count: f)
                if node.inputs.count > 2, !node.inputs[2].isEmpty { bias = try constant(node, 2).floats }
                guard bias.count == f else { throw fail(node, "bias of \(bias.count) values for \(f) filters") }
                let spec = LayerSpec.conv(filters: f, kernel: k, stride: stride, padding: pad)
                guard case let .success(shape) = spec.outputShape(for: s) else { throw fail(node, "the kernel does not fit input \(s)") }
                try output(node, .activation(shape), layer: spec, weights: [w.floats, bias])
            case "BatchNormalization":
                let s = try activation(node)
                guard node.inputs[0] == lastOutput, case .conv? = layers.last else { throw fail(node, "only a batch norm right after a Conv is imported (folded)") }
                let (gamma, beta, mean, variance) = (try constant(node, 1).floats, try constant(node, 2).floats, try constant(node, 3).floats, try constant(node, 4).floats)
                let f = s[0], eps = node.float("epsilon") ?? 1e-5
                guard gamma.count == f, beta.count == f, mean.count == f, variance.count == f else { throw fail(node, "statistics for \(f) channels expected") }
                let wi = parameters.count - 2, per = parameters[wi].count / f
                for c in 0 ..< f {
                    let scale = gamma[c] / (variance[c] + eps).squareRoot()
                    for i in c * per ..< (c + 1) * per { parameters[wi][i] *= scale }
                    parameters[wi + 1][c] = (parameters[wi + 1][c] - mean[c]) * scale + beta[c]
                }
                try output(node, .activation(s))
                lastOutput = node.outputs.first
            case "Relu", "Sigmoid", "Tanh", "Gelu":
                let s = try activation(node)
                if node.opType == "Gelu", let a = node.attributes["approximate"]?.string, a != "none" { throw fail(node, "approximate '\(a)' (the exact erf GELU is imported)") }
                let spec: LayerSpec = node.opType == "Relu" ? .relu : node.opType == "Sigmoid" ? .sigmoid : node.opType == "Tanh" ? .tanh : .gelu
                try output(node, .activation(s), layer: spec)
            case "MaxPool", "AveragePool":
                let s = try activation(node)
                guard s.count == 3, let kernel = node.ints("kernel_shape"), kernel.count == 2, kernel[0] == kernel[1] else { throw fail(node, "a square 2-D window is imported") }
                let strides = node.ints("strides") ?? kernel
                guard strides.count == 2, strides[0] == strides[1], (node.ints("pads") ?? [0]).allSatisfy({ $0 == 0 }), (node.int("ceil_mode") ?? 0) == 0 else {
                    throw fail(node, "strides \(strides), pads and ceil_mode: equal strides, no padding, floor mode are imported")
                }
                guard (1 ... 65536).contains(kernel[0]), (1 ... 65536).contains(strides[0]) else {
                    throw fail(node, "kernel \(kernel) and strides \(strides) outside 1...65,536")
                }
                let k = Int(kernel[0]), st = Int(strides[0])
                let spec: LayerSpec = node.opType == "MaxPool" ? .maxPool(kernel: k, stride: st) : .avgPool(kernel: k, stride: st)
                guard case let .success(shape) = spec.outputShape(for: s) else { throw fail(node, "the window does not fit input \(s)") }
                try output(node, .activation(shape), layer: spec)
            case "GlobalAveragePool":
                let s = try activation(node)
                guard s.count == 3, s[1] == s[2] else { throw fail(node, "a square (C, H, W) input is imported") }
                try output(node, .activation([s[0], 1, 1]), layer: .avgPool(kernel: s[1], stride: s[1]))
            case "Flatten":
                let s = try activation(node)
                guard (node.int("axis") ?? 1) == 1 else { throw fail(node, "axis \(node.int("axis")!) (axis 1 is imported)") }
                try flatten(node, s)
            case "Reshape":
                let s = try activation(node)
                let target: [Int64?]
                switch values[node.inputs.count > 1 ? node.inputs[1] : ""] {
                case let .shape(v)?: target = v
                case let .constant(t)? where t.dataType == .int64: target = t.ints
                default: throw fail(node, "its shape is neither a constant nor a shape computed from the input")
                }
                let elements = try count(node, s)
                let flat = target.count == 2 && (target[0] == nil || target[0] == -1 || target[0] == 0) && (target[1] == -1 || target[1] == Int64(elements))
                let same = target.count == s.count + 1 && zip(target.dropFirst(), s).allSatisfy { $0 == Int64($1) || $0 == 0 }
                let known = target.dropFirst().compactMap { $0 }.filter { $0 > 0 }
                var product: Int64 = 1
                for k in known {
                    let (p, overflow) = product.multipliedReportingOverflow(by: k)
                    product = overflow ? -1 : p
                    if overflow { break }
                }
                if same {
                    try output(node, .activation(s))
                } else if layers.isEmpty, node.inputs[0] == input.name, target.count >= 2, target.count <= 4, known.count == target.count - 1, product == Int64(elements) {
                    // The model's first op views its input another way ((1, 28, 28) as 28
                    // rows of 28): the same values, so the imported model takes that shape.
                    inputShape = known.map { Int($0) }
                    try output(node, .activation(inputShape))
                } else if flat {
                    try flatten(node, s)
                } else {
                    throw fail(node, "reshape to \(target.map { $0.map(String.init) ?? "batch" }) (to (batch, −1) is imported)")
                }
            case "Transpose":
                let perm = node.ints("perm") ?? []
                guard perm == [1, 0, 2] else { throw fail(node, "perm \(perm) (the sequence's time-major swap [1, 0, 2] is imported)") }
                switch values[node.inputs[0]] {
                case let .activation(s)? where s.count == 2: try output(node, .timeMajor(s))
                case let .timeMajor(s)?: try output(node, .activation(s))
                default: throw fail(node, "transposes something other than a sequence (T, F)")
                }
            case "ConstantOfShape":
                if let v = node.attributes["value"]?.tensor, !(v.floats.allSatisfy { $0 == 0 } && v.ints.allSatisfy { $0 == 0 }) {
                    throw fail(node, "only zeros (an LSTM's initial state) are imported")
                }
                try output(node, .zeros)
            case "LSTM":
                guard case let .timeMajor(s)? = values[node.inputs[0]] ?? nil, s.count == 2 else {
                    throw fail(node, "its input is not a time-major sequence (Transpose perm [1, 0, 2] of (N, T, F))")
                }
                guard (node.attributes["direction"]?.string ?? "forward") == "forward", node.attributes["clip"] == nil,
                      node.attributes["activations"] == nil, (node.int("layout") ?? 0) == 0, (node.int("input_forget") ?? 0) == 0 else {
                    throw fail(node, "a forward LSTM with the default activations, no clip, layout 0 is imported")
                }
                for i in [4, 5, 6] where i < node.inputs.count && !node.inputs[i].isEmpty {
                    guard case .zeros? = values[node.inputs[i]] else { throw fail(node, "input \(i) (sequence lengths, initial states) must be absent or zeros") }
                }
                let (t, f) = (s[0], s[1])
                let w = try constant(node, 1), r = try constant(node, 2)
                guard let h = node.int("hidden_size").map(Int.init), h > 0, h <= 1 << 20, w.dims == [1, 4 * h, f], r.dims == [1, 4 * h, h] else {
                    throw fail(node, "W \(w.dims) and R \(r.dims) for hidden_size \(node.int("hidden_size") ?? 0) and \(f) inputs")
                }
                var b = [Float](repeating: 0, count: 8 * h)
                if node.inputs.count > 3, !node.inputs[3].isEmpty {
                    let bias = try constant(node, 3)
                    guard bias.dims == [1, 8 * h] else { throw fail(node, "B \(bias.dims), expected [1, \(8 * h)]") }
                    b = bias.floats
                }
                // ONNX's gates i, o, f, c → Pith's i, f, g, o; the two biases summed.
                let order = [0, 2, 3, 1]
                func gates(_ v: [Float], _ per: Int) -> [Float] { order.flatMap { g in v[(g * h * per) ..< ((g + 1) * h * per)] } }
                let bias = zip(gates(Array(b[0 ..< 4 * h]), 1), gates(Array(b[4 * h ..< 8 * h]), 1)).map { $0 + $1 }
                layers.append(.lstm(units: h, sequence: true))
                parameters += [gates(w.floats, f), gates(r.floats, h), bias]
                if node.outputs.count > 0, !node.outputs[0].isEmpty { values[node.outputs[0]] = .lstmSequence([t, h]) }
                if node.outputs.count > 1, !node.outputs[1].isEmpty { values[node.outputs[1]] = .lstmLast([h]) }
                lastOutput = nil
            case "Squeeze":
                let axes = node.inputs.count > 1 ? (try constant(node, 1, integers: true)).ints : (node.ints("axes") ?? [])
                switch values[node.inputs[0]] {
                case let .lstmSequence(s)? where axes == [1]: try output(node, .timeMajor(s))
                case let .lstmLast(s)? where axes == [0]:
                    try lastStep(node, s)
                default: throw fail(node, "squeezes something other than an LSTM's direction axis")
                }
            case "Softmax":
                _ = try activation(node)
                guard g.outputs.contains(where: { $0.name == node.outputs.first }) else { throw fail(node, "a Softmax inside the model is not imported (only the last, dropped)") }
                guard let v = values[node.inputs[0]] else { throw fail(node, "input is unknown") }
                try output(node, v)
            default:
                throw fail(node, "op \(node.opType) is not imported (pith import --list-ops lists those that are)")
            }
        }

        /// Values per sample of shape `s`, refused past 2^28 (or an overflow).
        func count(_ node: ONNXNode, _ s: [Int]) throws(ONNXError) -> Int {
            var n = 1
            for d in s {
                let (p, overflow) = n.multipliedReportingOverflow(by: d)
                guard !overflow, p <= 1 << 28 else { throw fail(node, "a value of shape \(s) holds more than 2^28 values a sample") }
                n = p
            }
            return n
        }

        /// The LSTM just emitted gives its last hidden state only (`lstm H`, not `sequence`).
        func lastStep(_ node: ONNXNode, _ s: [Int]) throws(ONNXError) {
            guard case let .lstm(units, true)? = layers.last else { throw fail(node, "takes the last step of something other than an LSTM's output") }
            layers[layers.count - 1] = .lstm(units: units, sequence: false)
            try output(node, .activation(s))
            lastOutput = nil
        }

        func flatten(_ node: ONNXNode, _ s: [Int]) throws(ONNXError) {
            if s.count == 1 { try output(node, .activation(s)); return }
            try output(node, .activation([try count(node, s)]), layer: .flatten)
        }

        guard g.outputs.count == 1, case let .activation(outShape)? = values[g.outputs[0].name] else {
            throw ONNXError("graph.output", "the model's output is not the end of its data path")
        }
        guard outShape.count == 1 else { throw ONNXError("graph.output", "output of shape \(outShape) is not (classes)") }
        do {
            description = try ModelDescription(name: name, inputShape: inputShape, layers: layers, source: name)
        } catch { throw ONNXError("graph", "its layers make no Pith model: \(error)") }
        self.parameters = parameters
    }

    /// A Pith model holding the imported weights.
    public func model() -> Model {
        let m = Model(description, seed: 0)
        for (p, values) in zip(m.parameters, parameters) { for i in 0 ..< p.count { p.data[i] = values[i] } }
        return m
    }
}
