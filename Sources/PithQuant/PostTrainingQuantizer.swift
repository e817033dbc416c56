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
/// The graph (written by `GraphEmitter`): Quantize(input) → [Conv2D/Dense (+ReLU) →
/// MaxPool/AvgPool/Flatten, LSTM, LayerNorm, Transformer blocks, ...] → Dequantize →
/// float logits. Every inner value of a Transformer block is a quantization point of its
/// own, calibrated like the others (`TransformerCalibration`).
public enum PostTrainingQuantizer {
    typealias Range = ActivationRange

    /// Throws, naming the layer, when `description` has a layer the integer graph cannot
    /// hold or quantization-aware training cannot simulate (`pith train --qat`).
    public static func checkQuantizable(_ description: ModelDescription) throws(PithError) {
        _ = try QuantizationPoints.quantizationAwareStages(description)
    }

    /// The integer graph's stages of `model` (`QuantizationPoints`, the rule quantization-
    /// aware training follows too).
    static func stages(_ model: Model) throws(PithError) -> [GraphStage] {
        try QuantizationPoints.stages(model.description)
    }

    /// What the integer graph's stage computes, in float: the layer (its ReLU or position
    /// embedding folded in); for a Transformer block every value at its points
    /// (`TransformerPoints`), the output last.
    static func run(_ stage: GraphStage, _ x: Tensor, _ model: Model) -> [Tensor] {
        var rng = PithRandom(seed: 0)
        switch stage.spec {
        case .dense, .conv, .lstm, .layerNorm:
            // Weighted layers are where the description has them (only ReLU and max pool swap).
            let y = model.layers[stage.layer].forward(x, training: false, rng: &rng)
            if stage.position { return [model.layers[stage.layer + 1].forward(y, training: false, rng: &rng)] }
            return [stage.relu ? PithTensor.relu(y) : y]
        case .transformerBlock:
            guard case let .transformerBlock(block) = model.layers[stage.layer] else { preconditionFailure("layer \(stage.layer) is not a block") }
            return TransformerCalibration.values(block, x)
        case .flatten: return [flatten(x)]
        default: return [Layer.other(stage.spec).forward(x, training: false, rng: &rng)]
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
        /// Runs every calibration batch through the stages, calling `visit(point, values)`
        /// at the input (point 0) and at each weighted stage's output, and
        /// `enter(stage, input)` before each stage.
        func calibrate(_ visit: (Int, Tensor) -> Void, enter: (GraphStage, Tensor) -> Void = { _, _ in }) {
            GradMode.withoutGrad {
                var start = 0
                while start < calibration.count {
                    let end = min(start + batchSize, calibration.count)
                    var h = calibration.batch(Array(start..<end)[...], shape: d.inputShape).x
                    visit(0, h)
                    for stage in stages {
                        enter(stage, h)
                        let values = run(stage, h, model)
                        if let point = stage.point { for (i, v) in values.enumerated() { visit(point + i, v) } }
                        h = values.last!
                    }
                    start = end
                }
            }
        }
        var ranges = [Range](repeating: Range(), count: QuantizationPoints.count(stages))
        // And each LSTM's cell scale: the largest |c| its float cell reaches on the same images.
        var cellMagnitudes: [Int: Float] = [:]
        calibrate({ point, h in ranges[point].add(h) }, enter: { stage, x in
            guard case .lstm = stage.spec, case let .lstm(layer) = model.layers[stage.layer] else { return }
            cellMagnitudes[stage.layer] = max(cellMagnitudes[stage.layer] ?? 0, LSTMCalibration.cellMagnitude(layer, x))
        })
        for (i, r) in ranges.enumerated() where !r.lo.isFinite || !r.hi.isFinite {
            throw .mismatch("calibration: activation \(i) of \(d.name) is not finite (NaN or infinite inputs or weights)")
        }
        try checkFinite(model)
        // Other methods narrow the upper end of the non-negative (ReLU) outputs of weighted
        // stages; the input and signed outputs (the logits) keep their min/max range.
        if method != .minmax {
            var histograms: [Int: Histogram] = [:]
            for point in 1..<ranges.count where ranges[point].lo >= 0 && ranges[point].hi > 0 {
                histograms[point] = Histogram(upper: ranges[point].hi)
            }
            calibrate { point, h in
                if histograms[point] != nil { histograms[point]!.add(UnsafeBufferPointer(start: h.data, count: h.count)) }
            }
            for (i, histogram) in histograms {
                ranges[i].hi = min(ranges[i].hi, max(histogram.threshold(method, percentile: percentile), ranges[i].hi / 2048))
            }
        }
        return GraphEmitter.emit(model, stages: stages, precision: .integer(ranges: ranges, cellShifts: cellMagnitudes.mapValues(LSTMCalibration.cellShift)),
                                 metadata: metadata)
    }

    /// The integer graph of a model trained quantization-aware: its weights quantized as
    /// its forward pass fake-quantized them, and each activation encoded from the range
    /// its `FakeQuantization` tracked at the same point — the model the training simulated.
    public static func exportQuantizationAware(_ model: Model, metadata: Metadata) throws(PithError) -> PithModel {
        guard let fq = model.fakeQuantization else {
            throw .mismatch("\(model.description.name) was not trained quantization-aware (no tracked ranges)")
        }
        let stages = try stages(model)
        guard fq.points == QuantizationPoints.count(stages) else {
            throw .mismatch("\(model.description.name) tracks \(fq.points) activation ranges; its integer graph has \(QuantizationPoints.count(stages)) quantization points")
        }
        try checkFinite(model)
        return GraphEmitter.emit(model, stages: stages, precision: .integer(ranges: fq.ranges, cellShifts: [:]), metadata: metadata)
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
}
