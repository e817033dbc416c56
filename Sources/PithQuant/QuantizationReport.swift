import PithFormat
import PithNN
import PithTensor

/// Per weighted layer of a quantized model: what its scales are and what quantizing cost,
/// measured on images run through both the float model and the integer simulation.
public struct LayerReport: Sendable {
    public var name: String
    /// Smallest and largest per-channel weight scale.
    public var weightScales: ClosedRange<Float>
    /// The output's (scale, zero point).
    public var outputScale: Float
    public var outputZero: Int32
    /// Share of the float model's outputs outside the output's representable range.
    public var clipped: Double
    /// Mean squared difference between the float model's output and the integer model's
    /// dequantized output, and the float output's mean square (for scale).
    public var mse: Double
    public var signalPower: Double

    /// The table `pith quantize` prints.
    public static func table(_ layers: [LayerReport]) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
        func g(_ x: Double) -> String {
            guard x != 0 else { return "0" }
            var e = 0
            var m = abs(x)
            while m >= 10 { m /= 10; e += 1 }
            while m < 1 { m *= 10; e -= 1 }
            let digits = Int((m * 100).rounded())
            return (x < 0 ? "-" : "") + "\(digits / 100).\(digits % 100 < 10 ? "0" : "")\(digits % 100)e\(e)"
        }
        func percent(_ x: Double) -> String {
            let v = Int((x * 10000).rounded())
            return "\(v / 100).\(v % 100 < 10 ? "0" : "")\(v % 100)%"
        }
        var lines = ["  " + pad("layer", 10) + pad("weight scales", 22) + pad("output scale", 14) + pad("zero", 6)
                     + pad("clipped", 10) + pad("output MSE", 12) + "MSE / mean square"]
        for l in layers {
            lines.append("  " + pad(l.name, 10) + pad("\(g(Double(l.weightScales.lowerBound)))..\(g(Double(l.weightScales.upperBound)))", 22)
                         + pad(g(Double(l.outputScale)), 14) + pad("\(l.outputZero)", 6)
                         + pad(percent(l.clipped), 10) + pad(g(l.mse), 12) + g(l.mse / max(l.signalPower, 1e-30)))
        }
        return lines.joined(separator: "\n")
    }
}

extension PostTrainingQuantizer {
    /// Runs `images` through the float model stage by stage and through the integer
    /// simulation of `quantized`, and compares each weighted stage's outputs.
    public static func report(_ model: Model, quantized: PithModel, images: Dataset) throws -> [LayerReport] {
        let d = model.description
        let stages = try stages(model)
        let simulation = IntegerSimulation(quantized)
        let nodesByName = Dictionary(uniqueKeysWithValues: quantized.graph.nodes.map { ($0.name, $0) })
        var sums = [(clipped: Double, err: Double, power: Double, count: Double)](repeating: (0, 0, 0, 0), count: stages.count)
        for i in 0..<images.count {
            let (x, _) = images.batch([i][...], shape: d.inputShape)
            let traced = try simulation.trace(x.scalars)
            var h = x
            GradMode.withoutGrad {
                for (s, stage) in stages.enumerated() {
                    h = run(stage, h, model)
                    guard stage.point != nil, let node = nodesByName["stage\(s + 1)"], let codes = traced.codes[node.outputs[0]] else { continue }
                    guard case let .perTensor(scale, zero) = quantized.tensors[node.outputs[0]].quantization else { continue }
                    let lo = scale * Float(0 - zero), hi = scale * Float(255 - zero)
                    // Integer outputs are (C, H, W), as the float model's.
                    for j in 0..<h.count {
                        let f = h.data[j], q = scale * Float(codes[j] - zero)
                        if f < lo || f > hi { sums[s].clipped += 1 }
                        sums[s].err += Double((f - q) * (f - q))
                        sums[s].power += Double(f * f)
                    }
                    sums[s].count += Double(h.count)
                }
            }
        }
        var layers: [LayerReport] = []
        for (s, stage) in stages.enumerated() {
            guard stage.point != nil, let node = nodesByName["stage\(s + 1)"], sums[s].count > 0 else { continue }
            guard case let .perChannel(_, scales, _) = quantized.tensors[node.inputs[1]].quantization,
                  case let .perTensor(scale, zero) = quantized.tensors[node.outputs[0]].quantization else { continue }
            layers.append(LayerReport(name: node.name, weightScales: scales.min()!...scales.max()!, outputScale: scale, outputZero: zero,
                                      clipped: sums[s].clipped / sums[s].count, mse: sums[s].err / sums[s].count,
                                      signalPower: sums[s].power / sums[s].count))
        }
        return layers
    }
}
