import PithFormat
import PithNN
import PithTensor

/// Post-training quantization to a fully integer `.pith` graph (the first calibration
/// method: min/max).
///
/// - Weights: int8, symmetric, per output channel (`WeightQuantizer`).
/// - Activations: uint8, asymmetric, per tensor, from the min and max that the float
///   model's layer outputs reach on the calibration images (0 always inside the range,
///   so real 0 — ReLU's floor and the padding value — has an exact code).
/// - Bias: int32 in units of s_x·s_w[c], rounded to nearest.
/// - Requantization: fixed-point multiplier and shift (done by the runtime from the
///   scales); ReLU is folded into the output clamp.
///
/// The graph: Quantize(input) → [Conv2D/Dense (+ReLU) → MaxPool/AvgPool/Flatten ...] →
/// Dequantize → float logits.
public enum PostTrainingQuantizer {
    typealias Range = ActivationRange

    /// The model's layers in description order, with a ReLU that follows a weighted layer
    /// folded into it.
    enum Stage {
        case weighted(Layer, relu: Bool, spec: LayerSpec)
        case pool(LayerSpec)
        case flatten
    }

    /// Throws, naming the layer, when `description` has a layer the integer graph cannot hold.
    public static func checkQuantizable(_ description: ModelDescription) throws(PithError) {
        _ = try stages(Model(description, seed: 0))
    }

    static func stages(_ model: Model) throws(PithError) -> [Stage] {
        let d = model.description
        var weighted = model.layers.filter { if case .other = $0 { return false } else { return true } }.makeIterator()
        var stages: [Stage] = []
        var i = 0
        while i < d.layers.count {
            let spec = d.layers[i]
            switch spec {
            case .dense, .conv:
                let relu = i + 1 < d.layers.count && d.layers[i + 1] == .relu
                stages.append(.weighted(weighted.next()!, relu: relu, spec: spec))
                if relu { i += 1 }
            case .maxPool, .avgPool: stages.append(.pool(spec))
            case .flatten: stages.append(.flatten)
            case .dropout: break
            case .relu:
                throw .mismatch("\(d.name): layer \(i + 1) is a ReLU that does not follow a Dense or Conv layer; the integer graph folds ReLU into them")
            case .gelu, .tanh, .sigmoid:
                throw .mismatch("\(d.name): layer \(i + 1) '\(spec.text)' has no integer op")
            }
            i += 1
        }
        return stages
    }

    static func run(_ stage: Stage, _ x: Tensor) -> Tensor {
        var rng = PithRandom(seed: 0)
        switch stage {
        case let .weighted(layer, relu, _):
            let y = layer.forward(x, training: false, rng: &rng)
            return relu ? PithTensor.relu(y) : y
        case let .pool(spec): return Layer.other(spec).forward(x, training: false, rng: &rng)
        case .flatten: return flatten(x)
        }
    }

    /// Calibrates on `calibration` (float inputs, flat per sample) and builds the graph.
    public static func quantize(_ model: Model, calibration: Dataset, metadata: Metadata, method: CalibrationMethod = .minmax,
                                percentile: Double = 99.99, batchSize: Int = 500) throws(PithError) -> PithModel {
        let d = model.description
        let stages = try stages(model)
        guard calibration.featureCount == d.inputFeatures else {
            throw .mismatch("calibration samples have \(calibration.featureCount) values; \(d.name) takes \(d.inputFeatures)")
        }
        guard calibration.count > 0 else { throw .mismatch("the calibration set is empty") }
        // Ranges: [0] the input, [s + 1] the output of stage s.
        var ranges = [Range](repeating: Range(), count: stages.count + 1)
        GradMode.withoutGrad {
            var start = 0
            while start < calibration.count {
                let end = min(start + batchSize, calibration.count)
                var h = calibration.batch(Array(start..<end)[...], shape: d.inputShape).x
                ranges[0].add(h)
                for (s, stage) in stages.enumerated() {
                    h = run(stage, h)
                    ranges[s + 1].add(h)
                }
                start = end
            }
        }
        for (i, r) in ranges.enumerated() where !r.lo.isFinite || !r.hi.isFinite {
            throw .mismatch("calibration: activation \(i) of \(d.name) is not finite (NaN or infinite inputs or weights)")
        }
        try checkFinite(model)
        // Other methods narrow the upper end of the non-negative (ReLU) outputs of weighted
        // stages; the input and signed outputs (the logits) keep their min/max range.
        if method != .minmax {
            var histograms: [Int: Histogram] = [:]
            for (s, stage) in stages.enumerated() {
                if case .weighted = stage, ranges[s + 1].lo >= 0, ranges[s + 1].hi > 0 {
                    histograms[s + 1] = Histogram(upper: ranges[s + 1].hi)
                }
            }
            GradMode.withoutGrad {
                var start = 0
                while start < calibration.count {
                    let end = min(start + batchSize, calibration.count)
                    var h = calibration.batch(Array(start..<end)[...], shape: d.inputShape).x
                    for (s, stage) in stages.enumerated() {
                        h = run(stage, h)
                        if histograms[s + 1] != nil {
                            histograms[s + 1]!.add(UnsafeBufferPointer(start: h.data, count: h.count))
                        }
                    }
                    start = end
                }
            }
            for (i, histogram) in histograms {
                ranges[i].hi = min(ranges[i].hi, max(histogram.threshold(method, percentile: percentile), ranges[i].hi / 2048))
            }
        }
        return build(model, stages: stages, ranges: ranges, metadata: metadata)
    }

    /// The integer graph of a model trained quantization-aware: its weights quantized as
    /// its forward pass fake-quantized them, and each activation encoded from the range
    /// its `FakeQuantization` tracked — the model the training simulated.
    public static func exportQuantizationAware(_ model: Model, metadata: Metadata) throws(PithError) -> PithModel {
        guard let fq = model.fakeQuantization else {
            throw .mismatch("\(model.description.name) was not trained quantization-aware (no tracked ranges)")
        }
        let stages = try stages(model)
        try checkFinite(model)
        // Point 0 is the input, point k the k-th weighted stage's output; pools and flatten
        // take their input's range in `build`.
        var ranges = [Range](repeating: Range(), count: stages.count + 1)
        ranges[0] = fq.ranges[0]
        var point = 0
        for (s, stage) in stages.enumerated() {
            guard case .weighted = stage else { continue }
            point += 1
            ranges[s + 1] = fq.ranges[point]
        }
        precondition(point + 1 == fq.points, "the stages and the fake-quantization points disagree")
        return build(model, stages: stages, ranges: ranges, metadata: metadata)
    }

    static func checkFinite(_ model: Model) throws(PithError) {
        for (name, p) in zip(model.parameterNames, model.parameters) {
            for i in 0..<p.count where !p.data[i].isFinite {
                throw .mismatch("\(model.description.name): \(name) holds a non-finite value at index \(i)")
            }
        }
        for (i, r) in (model.fakeQuantization?.ranges ?? []).enumerated() where !(r.lo.isFinite && r.hi.isFinite) {
            throw .mismatch("\(model.description.name): tracked activation range \(i) is not finite")
        }
    }

    /// The integer graph for `ranges`: [0] the input, [s + 1] the output of stage s.
    static func build(_ model: Model, stages: [Stage], ranges: [Range], metadata: Metadata) -> PithModel {
        let d = model.description
        var ranges = ranges
        // Pools and flatten keep their input's encoding (they move codes, not values).
        for (s, stage) in stages.enumerated() {
            if case .weighted = stage { continue }
            ranges[s + 1] = ranges[s]
        }

        var m = PithModel(metadata: metadata, tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let input = m.addValue("input", dtype: .float32, shape: d.inputShape)
        let e0 = ranges[0].encoding
        var current = m.addValue("input.q", dtype: .uint8, shape: d.inputShape, quantization: .perTensor(scale: e0.scale, zeroPoint: e0.zero))
        var nodes = [Node(op: .quantize, name: "quantize", inputs: [input], outputs: [current])]
        var shape = d.inputShape
        for (s, stage) in stages.enumerated() {
            let name = "stage\(s + 1)"
            let enc = ranges[s + 1].encoding
            let xScale = m.tensors[current].quantization
            guard case let .perTensor(sx, _) = xScale else { preconditionFailure("values are per tensor") }
            switch stage {
            case let .weighted(layer, relu, spec):
                let (w, b): (Tensor, Tensor) = {
                    switch layer {
                    case let .dense(dense): return (dense.weight, dense.bias)
                    case let .conv(conv): return (conv.weight, conv.bias)
                    case .other: preconditionFailure("weighted stage without weights")
                    }
                }()
                var x = current
                if case .dense = spec, shape.count > 1 {
                    x = m.addValue("\(name).flat", dtype: .uint8, shape: [shape.reduce(1, *)], quantization: m.tensors[current].quantization)
                    nodes.append(Node(op: .flatten, name: "\(name).flatten", inputs: [current], outputs: [x]))
                    shape = [shape.reduce(1, *)]
                }
                let q = WeightQuantizer.perChannelSymmetric(w.scalars, channels: w.shape[0])
                let wIndex = m.addConstant("\(name).weight", dtype: .int8, shape: w.shape, bytes: q.bytes,
                                           quantization: .perChannel(axis: 0, scales: q.scales, zeroPoints: Array(repeating: 0, count: q.channels)))
                let bias: [Int32] = (0..<q.channels).map { c in
                    let v = (Double(b.data[c]) / (Double(sx) * Double(q.scales[c]))).rounded()
                    return Int32(max(-2_147_483_647, min(2_147_483_647, v)))
                }
                let bIndex = m.addConstant("\(name).bias", dtype: .int32, shape: [q.channels], bytes: littleEndianBytes(bias))
                let outShape: [Int]
                var attributes: [Attribute] = relu ? [Attribute("relu", 1)] : []
                if case let .conv(_, k, stride, padding) = spec {
                    outShape = [w.shape[0], (shape[1] + 2 * padding - k) / stride + 1, (shape[2] + 2 * padding - k) / stride + 1]
                    attributes = [Attribute("stride", Int64(stride)), Attribute("padding", Int64(padding))] + attributes
                } else {
                    outShape = [w.shape[0]]
                }
                current = m.addValue(name, dtype: .uint8, shape: outShape, quantization: .perTensor(scale: enc.scale, zeroPoint: enc.zero))
                nodes.append(Node(op: spec.isConv ? .conv2d : .dense, name: name, inputs: [x, wIndex, bIndex], outputs: [current], attributes: attributes))
                shape = outShape
            case let .pool(spec):
                let (op, k, stride): (OpCode, Int, Int)
                switch spec {
                case let .maxPool(kk, ss): (op, k, stride) = (.maxPool, kk, ss)
                case let .avgPool(kk, ss): (op, k, stride) = (.avgPool, kk, ss)
                default: preconditionFailure("a pool stage holds a pool")
                }
                let out = [shape[0], (shape[1] - k) / stride + 1, (shape[2] - k) / stride + 1]
                let next = m.addValue(name, dtype: .uint8, shape: out, quantization: m.tensors[current].quantization)
                nodes.append(Node(op: op, name: name, inputs: [current], outputs: [next],
                                  attributes: [Attribute("kernel", Int64(k)), Attribute("stride", Int64(stride))]))
                current = next
                shape = out
            case .flatten:
                let out = [shape.reduce(1, *)]
                let next = m.addValue(name, dtype: .uint8, shape: out, quantization: m.tensors[current].quantization)
                nodes.append(Node(op: .flatten, name: name, inputs: [current], outputs: [next]))
                current = next
                shape = out
            }
        }
        let logits = m.addValue("logits", dtype: .float32, shape: shape)
        nodes.append(Node(op: .dequantize, name: "dequantize", inputs: [current], outputs: [logits]))
        m.graph = Graph(inputs: [input], outputs: [logits], nodes: nodes)
        return m
    }
}

extension LayerSpec {
    var isConv: Bool { if case .conv = self { return true } else { return false } }
}
