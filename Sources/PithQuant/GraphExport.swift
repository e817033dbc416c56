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

/// Turns a trained `Model` into the float `.pith` graph (docs/FORMAT.md) through
/// `GraphEmitter`: one node per layer, values named `input`, `layerN` and `logits`,
/// constants `layerN.weight`/`layerN.bias`. Dropout is dropped (it is the identity at
/// inference).
public enum GraphExport {
    /// Why `d` cannot become a `.pith` graph (a layer with no op in version 1), or nil. The
    /// training stages ask before the first epoch, so no run trains a model it cannot ship.
    public static func exportProblem(_ d: ModelDescription) -> String? {
        for (i, spec) in d.layers.enumerated() {
            switch spec {
            case .gelu, .tanh, .sigmoid, .lstm, .position, .layerNorm, .transformerBlock, .meanTokens:
                return "\(d.name): layer \(i + 1) '\(spec.text)' has no op in .pith version 1 (Dense, Conv2D, ReLU, MaxPool, AvgPool, Flatten)"
            case .dropout where i == d.layers.count - 1:
                return "\(d.name): layer \(i + 1) is a final dropout; nothing to export after it"
            default: continue
            }
        }
        return nil
    }

    /// What a training stage says before the first epoch about a model `pith pack` cannot
    /// write in float: that `pith quantize` writes it in int8, or that nothing packs it.
    public static func packingNote(_ d: ModelDescription) -> String? {
        guard let problem = exportProblem(d) else { return nil }
        if (try? QuantizationPoints.stages(d)) != nil { return "\(problem): pith pack cannot write it in float; pith quantize writes it in int8" }
        return "\(problem): it trains (as a teacher, say) but cannot be packed"
    }

    /// The float graph of `model` (`GraphEmitter`), its weights stored as `weights` says.
    public static func pithModel(_ model: Model, weights: WeightPrecision, metadata: Metadata) throws(PithError) -> PithModel {
        GraphEmitter.emit(model, stages: try GraphEmitter.floatStages(model.description), precision: .float(weights), metadata: metadata)
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
            case .other, .lstm, .position, .layerNorm, .transformerBlock: continue
            }
            let q = WeightQuantizer.perChannelSymmetric(w.scalars, channels: w.shape[0]).dequantized()
            for i in 0..<w.count { w.data[i] = q[i] }
        }
    }
}
