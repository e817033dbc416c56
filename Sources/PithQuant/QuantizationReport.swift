import PithFormat
import PithNN
import PithTensor

/// Per quantized value of a model (each weighted layer's output, each LayerNorm, lookup and
/// mean, each inner value of a Transformer block): what its scales are and what quantizing
/// cost, measured on images run through both the float model and the integer simulation.
public struct LayerReport: Sendable {
    public var name: String
    /// Smallest and largest per-channel weight scale (nil: an op without weights).
    public var weightScales: ClosedRange<Float>?
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
        let width = max(10, (layers.map(\.name.count).max() ?? 0) + 1)
        var lines = ["  " + pad("layer", width) + pad("weight scales", 22) + pad("output scale", 14) + pad("zero", 6)
                     + pad("clipped", 10) + pad("output MSE", 12) + "MSE / mean square"]
        for l in layers {
            let scales = l.weightScales.map { "\(g(Double($0.lowerBound)))..\(g(Double($0.upperBound)))" } ?? "-"
            lines.append("  " + pad(l.name, width) + pad(scales, 22)
                         + pad(g(Double(l.outputScale)), 14) + pad("\(l.outputZero)", 6)
                         + pad(percent(l.clipped), 10) + pad(g(l.mse), 12) + g(l.mse / max(l.signalPower, 1e-30)))
        }
        return lines.joined(separator: "\n")
    }
}

extension PostTrainingQuantizer {
    /// Runs `images` through the float model stage by stage and through the integer
    /// simulation of `quantized`, and compares the values at every quantization point.
    public static func report(_ model: Model, quantized: PithModel, images: Dataset) throws -> [LayerReport] {
        let d = model.description
        let stages = try stages(model)
        let simulation = IntegerSimulation(quantized)
        let nodesByName = Dictionary(quantized.graph.nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        // The node names of each stage's points: `stageN`, or a block's inner values.
        let names: [[String]] = stages.enumerated().map { s, stage in
            guard stage.point != nil else { return [] }
            if case .transformerBlock = stage.spec { return TransformerPoints.allCases.map { "stage\(s + 1)" + $0.suffix } }
            return ["stage\(s + 1)"]
        }
        var sums: [String: (clipped: Double, err: Double, power: Double, count: Double)] = [:]
        for i in 0..<images.count {
            let (x, _) = images.batch([i][...], shape: d.inputShape)
            let traced = try simulation.trace(x.scalars)
            var h = x
            GradMode.withoutGrad {
                for (s, stage) in stages.enumerated() {
                    let values = run(stage, h, model)
                    h = values.last!
                    for (name, f) in zip(names[s], values) {
                        guard let node = nodesByName[name], let codes = traced.codes[node.outputs[0]], codes.count == f.count,
                              case let .perTensor(scale, zero) = quantized.tensors[node.outputs[0]].quantization else { continue }
                        let lo = scale * Float(0 - zero), hi = scale * Float(255 - zero)
                        var sum = sums[name] ?? (0, 0, 0, 0)
                        // Integer outputs are (C, H, W), as the float model's.
                        for j in 0..<f.count {
                            let v = f.data[j], q = scale * Float(codes[j] - zero)
                            if v < lo || v > hi { sum.clipped += 1 }
                            sum.err += Double((v - q) * (v - q))
                            sum.power += Double(v * v)
                        }
                        sum.count += Double(f.count)
                        sums[name] = sum
                    }
                }
            }
        }
        var layers: [LayerReport] = []
        for name in names.joined() {
            guard let node = nodesByName[name], let sum = sums[name], sum.count > 0,
                  case let .perTensor(scale, zero) = quantized.tensors[node.outputs[0]].quantization else { continue }
            var scales: ClosedRange<Float>? = nil
            if node.inputs.count > 1, case let .perChannel(_, s, _) = quantized.tensors[node.inputs[1]].quantization { scales = s.min()!...s.max()! }
            layers.append(LayerReport(name: node.name, weightScales: scales, outputScale: scale, outputZero: zero,
                                      clipped: sum.clipped / sum.count, mse: sum.err / sum.count, signalPower: sum.power / sum.count))
        }
        return layers
    }
}
