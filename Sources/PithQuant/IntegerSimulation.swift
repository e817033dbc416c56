import PithFormat

/// The toolchain's own integer simulation of a quantized `.pith` graph: plain Swift loops
/// over the graph's tensors, written apart from the runtime's C kernels, so that a test
/// can hold the runtime to it bit for bit (the simulation and the runtime agree on every
/// image).
///
/// Integer Dense/Conv2D: acc = bias + Σ (x − z_x)·w; y = clamp(z_y + MBQM(acc, M_c), lo, 255)
/// with M_c = s_x·s_w[c]/s_y split into a Q31 multiplier and shift exactly as TFLite's
/// QuantizeMultiplier, and MBQM gemmlowp's rounding (SaturatingRoundingDoublingHighMul,
/// RoundingDivideByPOT), on each row (token) of a sequence. MaxPool/Flatten move codes; Quantize rounds half to even;
/// Dequantize gives s·(q − z). Layout is the file's: (C, H, W).
public struct IntegerSimulation {
    public let model: PithModel

    public init(_ model: PithModel) { self.model = model }

    public enum Failure: Error, Equatable { case unsupported(String) }

    /// Float logits for one sample (`input` in the graph input's float values).
    public func run(_ input: [Float]) throws(Failure) -> [Float] {
        try trace(input).reals[model.graph.outputs[0]]!
    }

    /// Every value the graph makes for one sample: integer codes of the quantized tensors
    /// and float values of the others, by tensor index.
    public func trace(_ input: [Float]) throws(Failure) -> (codes: [Int: [Int32]], reals: [Int: [Float]]) {
        var codes: [Int: [Int32]] = [:]     // tensor index → integer codes
        var reals: [Int: [Float]] = [:]     // tensor index → float values
        reals[model.graph.inputs[0]] = input
        for node in model.graph.nodes {
            let out = node.outputs[0]
            let outInfo = model.tensors[out]
            switch node.op {
            case .quantize:
                let (s, z) = Self.perTensor(outInfo)
                codes[out] = reals[node.inputs[0]]!.map { v in
                    let q = Int32((v / s).rounded(.toNearestOrEven)) + z
                    return max(0, min(255, q))
                }
            case .dequantize:
                let (s, z) = Self.perTensor(model.tensors[node.inputs[0]])
                reals[out] = codes[node.inputs[0]]!.map { s * Float($0 - z) }
            case .flatten, .reshape:
                codes[out] = codes[node.inputs[0]]!
            case .maxPool:
                let x = codes[node.inputs[0]]!, shape = model.tensors[node.inputs[0]].shape
                let k = Int(node.attribute("kernel")!), stride = Int(node.attribute("stride")!)
                let (c, h, w) = (shape[0], shape[1], shape[2])
                let oh = (h - k) / stride + 1, ow = (w - k) / stride + 1
                var y = [Int32](repeating: 0, count: c * oh * ow)
                for ch in 0..<c { for oy in 0..<oh { for ox in 0..<ow {
                    var m = Int32.min
                    for ky in 0..<k { for kx in 0..<k { m = max(m, x[(ch * h + oy * stride + ky) * w + ox * stride + kx]) } }
                    y[(ch * oh + oy) * ow + ox] = m
                } } }
                codes[out] = y
            case .dense, .conv2d:
                codes[out] = try linear(node, x: codes[node.inputs[0]]!)
            case .lstm:
                codes[out] = try lstm(node, x: codes[node.inputs[0]]!)
            case .layerNorm:
                codes[out] = try layerNorm(node, x: codes[node.inputs[0]]!)
            case .attention:
                codes[out] = attention(node, q: codes[node.inputs[0]]!, k: codes[node.inputs[1]]!, v: codes[node.inputs[2]]!)
            case .add:
                codes[out] = add(node, a: codes[node.inputs[0]]!, b: codes[node.inputs[1]]!)
            case .meanTokens:
                codes[out] = meanTokens(node, x: codes[node.inputs[0]]!)
            case .lookup:
                let table = model.data[node.inputs[1]]
                codes[out] = codes[node.inputs[0]]!.map { Int32(table[Int($0)]) }
            default:
                throw .unsupported("\(node.op.name) in the integer simulation")
            }
        }
        return (codes, reals)
    }

    static func perTensor(_ t: TensorInfo) -> (Float, Int32) {
        if case let .perTensor(s, z) = t.quantization { return (s, z) }
        return (1, 0)
    }

    func int8(_ index: Int) -> [Int32] { model.data[index].map { Int32(Int8(bitPattern: $0)) } }

    func int32(_ index: Int) -> [Int32] {
        let b = model.data[index]
        return stride(from: 0, to: b.count, by: 4).map { i in
            Int32(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
        }
    }

    func linear(_ node: Node, x: [Int32]) throws(Failure) -> [Int32] {
        let xInfo = model.tensors[node.inputs[0]], wInfo = model.tensors[node.inputs[1]], yInfo = model.tensors[node.outputs[0]]
        let (sx, zx) = Self.perTensor(xInfo), (sy, zy) = Self.perTensor(yInfo)
        guard case let .perChannel(0, sw, _) = wInfo.quantization else { throw .unsupported("weights not per channel") }
        let w = int8(node.inputs[1])
        let bias = node.inputs.count > 2 ? int32(node.inputs[2]) : [Int32](repeating: 0, count: wInfo.shape[0])
        let lo: Int32 = node.attribute("relu") == 1 ? max(0, zy) : 0
        let f = wInfo.shape[0]
        let multipliers = (0..<f).map { c in Self.quantizeMultiplier(Double(sx) * Double(sw[c]) / Double(sy)) }
        func requantize(_ acc: Int32, _ c: Int) -> Int32 {
            max(lo, min(255, zy + Self.multiply(acc, multipliers[c].0, multipliers[c].1)))
        }
        if node.op == .dense {
            // Each of the T rows (tokens) of x; a bias of T·f values is one per token.
            let k = wInfo.shape[1], rows = x.count / k
            var y = [Int32](repeating: 0, count: rows * f)
            for t in 0..<rows { for c in 0..<f {
                var acc = bias.count == f ? bias[c] : bias[t * f + c]
                for i in 0..<k { acc += (x[t * k + i] - zx) * w[c * k + i] }
                y[t * f + c] = requantize(acc, c)
            } }
            return y
        }
        let (ch, h, wd) = (xInfo.shape[0], xInfo.shape[1], xInfo.shape[2])
        let k = wInfo.shape[2], stride = Int(node.attribute("stride")!), pad = Int(node.attribute("padding")!)
        let oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1
        var y = [Int32](repeating: 0, count: f * oh * ow)
        for c in 0..<f { for oy in 0..<oh { for ox in 0..<ow {
            var acc = bias[c]
            for ci in 0..<ch { for ky in 0..<k { for kx in 0..<k {
                let iy = oy * stride - pad + ky, ix = ox * stride - pad + kx
                let v = (iy >= 0 && iy < h && ix >= 0 && ix < wd) ? x[(ci * h + iy) * wd + ix] : zx
                acc += (v - zx) * w[((c * ch + ci) * k + ky) * k + kx]
            } } }
            y[(c * oh + oy) * ow + ox] = requantize(acc, c)
        } } }
        return y
    }

    /// TFLite's QuantizeMultiplier: m = q·2^shift with q in [0.5, 1) as a Q31 integer.
    static func quantizeMultiplier(_ m: Double) -> (Int32, Int32) {
        guard m > 0 else { return (0, 0) }
        var exponent: Int32 = 0
        var q = m
        while q >= 1 { q /= 2; exponent += 1 }
        while q < 0.5 { q *= 2; exponent -= 1 }
        var q31 = Int64((q * Double(1 << 31)).rounded())
        if q31 == 1 << 31 { q31 /= 2; exponent += 1 }
        if exponent < -31 { return (0, 0) }
        return (Int32(q31), exponent)
    }

    /// gemmlowp's MultiplyByQuantizedMultiplier on Int64 arithmetic.
    static func multiply(_ x: Int32, _ mult: Int32, _ shift: Int32) -> Int32 {
        let left = max(shift, 0), right = min(max(-shift, 0), 31)
        let shifted = Int32(clamping: Int64(x) << Int64(left))
        let high: Int32
        if shifted == Int32.min && mult == Int32.min { high = Int32.max } else {
            let ab = Int64(shifted) * Int64(mult)
            let nudge: Int64 = ab >= 0 ? 1 << 30 : 1 - (1 << 30)
            high = Int32((ab + nudge) / (1 << 31))  // truncates toward zero, as C does
        }
        let mask = Int32((Int64(1) << Int64(right)) - 1)
        let remainder = high & mask
        let threshold = (mask >> 1) + (high < 0 ? 1 : 0)
        return (high >> right) + (remainder > threshold ? 1 : 0)
    }
}
