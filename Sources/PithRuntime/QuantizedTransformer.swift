import CPithRuntimeKernels
import PithFormat

/// The integer Transformer's steps (pith_q_transformer.h has the math): LayerNorm,
/// self-attention, the residual add, the mean over tokens and table lookups, all uint8 to
/// uint8 with the constants derived here once from the scales.
struct QuantizedLayerNorm {
    var input: Int, output: Int
    var parameters: pith_q_layernorm
    /// Rows of D values per sample.
    var rows: Int
}

struct QuantizedAttention {
    var q: Int, k: Int, v: Int, output: Int
    var parameters: pith_q_attention
}

struct QuantizedAdd {
    var a: Int, b: Int, output: Int
    var parameters: pith_q_add
}

struct QuantizedMeanTokens {
    var input: Int, output: Int
    var tokens: Int, width: Int
    var inputZero: Int32, outputZero: Int32
    var ratio: pith_q_ratio
}

struct TableLookup {
    var input: Int, output: Int
    /// 256 bytes in the weight store.
    var table: UnsafeMutablePointer<UInt8>
}

extension GraphPreparation {
    /// A uint8 value with per-tensor quantization, or a refusal naming the op.
    func quantizedValue(_ tensor: Int, _ node: Node, what: String) throws(RuntimeError) -> Int {
        let v = try value(tensor, node)
        guard values[v].dtype == .uint8, values[v].quantized else {
            throw RuntimeError.unsupported(node: node.name, problem: "\(node.op.name) runs on quantized uint8 values (\(what) is \(values[v].dtype.name))")
        }
        guard values[v].scale > 0, values[v].scale.isFinite, (0 ... 255).contains(values[v].zeroPoint) else {
            throw fail(node, "'\(values[v].name)' has scale \(values[v].scale) and zero point \(values[v].zeroPoint) (a positive finite scale, zero point 0...255)")
        }
        return v
    }

    /// A float32 constant of `count` finite values.
    func finiteFloats(_ tensor: Int, count: Int, _ node: Node) throws(RuntimeError) -> [Float] {
        let t = try constant(tensor, node)
        guard t.dtype == .float32, t.shape == [count] else { throw fail(node, "'\(t.name)' must be float32 of shape [\(count)], not \(t.dtype.name) \(t.shape)") }
        let raw = file.data(of: tensor)
        var out = [Float](repeating: 0, count: count)
        for i in 0 ..< count {
            out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            guard out[i].isFinite else { throw fail(node, "value \(i) of '\(t.name)' is not finite") }
        }
        return out
    }

    /// LayerNorm x (…, D) uint8, γ and β (D) float32 → (…, D) uint8.
    mutating func layerNorm(_ node: Node, out: Int) throws(RuntimeError) -> Step {
        let x = try quantizedValue(node.inputs[0], node, what: "the input")
        let o = try quantizedValue(node.outputs[0], node, what: "the output")
        let shape = values[x].shape
        guard let d = shape.last, d >= 1, d <= 65_536 else { throw fail(node, "the normalized axis of \(shape) must have 1...65,536 values") }
        try expectShape(out, shape, node)
        let gamma = try finiteFloats(node.inputs[1], count: d, node), beta = try finiteFloats(node.inputs[2], count: d, node)
        let sx = Double(values[x].scale), sy = Double(values[o].scale), zy = Double(values[o].zeroPoint)
        let epsilon = Self.power10(-Int(node.attribute("epsilon_exponent") ?? 5))
        let gain = try store.ints(d)
        let offset = try store.allocate(8 * d).bindMemory(to: Int64.self, capacity: d)
        for i in 0 ..< d {
            let g = (Double(gamma[i]) / sy * 32768).rounded(), b = ((Double(beta[i]) / sy + zy) * 2_147_483_648).rounded()
            guard abs(g) < 2_147_483_648, abs(b) < 4_503_599_627_370_496 else {
                throw fail(node, "γ[\(i)] = \(gamma[i]) or β[\(i)] = \(beta[i]) is too large for the output scale \(values[o].scale) (|γ/s_y| < 2^16, |β/s_y| < 2^21)")
            }
            gain[i] = Int32(g)
            offset[i] = Int64(b) + 1_073_741_824
        }
        let p = pith_q_layernorm(D: Int32(d), eps: Self.epsilonCodes(epsilon, width: d, scale: sx), gain: gain, offset: offset)
        return .quantizedLayerNorm(QuantizedLayerNorm(input: x, output: out, parameters: p, rows: values[x].elements / d))
    }

    /// round(ε·D²/s²) within 0...2^50: the ε of LayerNorm in squared codes (times D²).
    static func epsilonCodes(_ epsilon: Double, width d: Int, scale s: Double) -> Int64 {
        let e = (epsilon * Double(d) * Double(d) / (s * s)).rounded()
        return e.isFinite ? Int64(min(max(e, 0), 1_125_899_906_842_624)) : 1_125_899_906_842_624
    }

    /// 10^e by repeated multiplication (no libm), exact for the small exponents used.
    static func power10(_ e: Int) -> Double {
        var v = 1.0
        for _ in 0 ..< abs(e) { v *= 10 }
        return e < 0 ? 1 / v : v
    }

    /// Attention q, k, v (T, D) uint8 → (T, D) uint8, `heads` dividing D.
    mutating func attention(_ node: Node, out: Int) throws(RuntimeError) -> Step {
        let q = try quantizedValue(node.inputs[0], node, what: "q"), k = try quantizedValue(node.inputs[1], node, what: "k")
        let v = try quantizedValue(node.inputs[2], node, what: "v"), o = try quantizedValue(node.outputs[0], node, what: "the output")
        let shape = values[q].shape
        guard shape.count == 2, values[k].shape == shape, values[v].shape == shape else {
            throw fail(node, "q, k and v must be (T, D) of one shape, not \(values[q].shape), \(values[k].shape), \(values[v].shape)")
        }
        let (t, d) = (shape[0], shape[1]), heads = Int(node.attribute("heads")!)
        guard d % heads == 0 else { throw fail(node, "\(heads) heads do not divide the width \(d)") }
        guard t >= 1, t <= 32_767, d / heads <= 16_384 else { throw fail(node, "\(t) tokens of heads \(d / heads) wide (at most 32,767 tokens and 16,384 columns a head)") }
        try expectShape(out, shape, node)
        let score = Double(values[q].scale) * Double(values[k].scale) / Double(d / heads).squareRoot() * 1024
        let context = Double(values[v].scale) / (255 * Double(values[o].scale))
        guard score < 1_048_576, context < 1_048_576 else { throw fail(node, "the score or context multiplier is not below 2^20") }
        let p = pith_q_attention(T: Int32(t), D: Int32(d), heads: Int32(heads), q_zero: values[q].zeroPoint, k_zero: values[k].zeroPoint,
                                 v_zero: values[v].zeroPoint, score: pith_q_ratio_make(score), out: pith_q_ratio_make(context),
                                 out_zero: values[o].zeroPoint)
        return .quantizedAttention(QuantizedAttention(q: q, k: k, v: v, output: out, parameters: p))
    }

    /// Add of two uint8 values, requantized into the output's encoding.
    mutating func quantizedAdd(_ node: Node, out: Int) throws(RuntimeError) -> Step {
        let a = try quantizedValue(node.inputs[0], node, what: "a"), b = try quantizedValue(node.inputs[1], node, what: "b")
        let o = try quantizedValue(node.outputs[0], node, what: "the output")
        guard values[a].shape == values[b].shape else { throw fail(node, "Add of shapes \(values[a].shape) and \(values[b].shape)") }
        try expectShape(out, values[a].shape, node)
        let ra = Double(values[a].scale) / Double(values[o].scale), rb = Double(values[b].scale) / Double(values[o].scale)
        guard ra < 1_048_576, rb < 1_048_576 else { throw fail(node, "an input's scale over the output's is not below 2^20") }
        let shift = pith_q_ratio_make(max(ra, rb)).shift
        let p = pith_q_add(a_zero: values[a].zeroPoint, b_zero: values[b].zeroPoint, out_zero: values[o].zeroPoint,
                           a_mult: Self.scaled(ra, shift), b_mult: Self.scaled(rb, shift), shift: shift)
        return .quantizedAdd(QuantizedAdd(a: a, b: b, output: out, parameters: p))
    }

    /// round(r·2^shift), half away from zero.
    static func scaled(_ r: Double, _ shift: Int32) -> Int64 {
        var v = r
        for _ in 0 ..< shift { v *= 2 }
        return Int64(v.rounded())
    }

    /// MeanTokens x (T, D) uint8 → (D) uint8.
    mutating func meanTokens(_ node: Node, out: Int) throws(RuntimeError) -> Step {
        let x = try quantizedValue(node.inputs[0], node, what: "the input"), o = try quantizedValue(node.outputs[0], node, what: "the output")
        let shape = values[x].shape
        guard shape.count == 2, shape[0] >= 1, shape[0] <= 8_388_607 else { throw fail(node, "input shape \(shape) is not (T, D) with T ≤ 2^23 − 1") }
        try expectShape(out, [shape[1]], node)
        let r = Double(values[x].scale) / (Double(shape[0]) * Double(values[o].scale))
        guard r < 1_048_576 else { throw fail(node, "the mean's multiplier is not below 2^20") }
        return .quantizedMeanTokens(QuantizedMeanTokens(input: x, output: out, tokens: shape[0], width: shape[1], inputZero: values[x].zeroPoint,
                                                        outputZero: values[o].zeroPoint, ratio: pith_q_ratio_make(r)))
    }

    /// Lookup x uint8 through a 256-byte uint8 table.
    mutating func lookup(_ node: Node, out: Int) throws(RuntimeError) -> Step {
        let x = try value(node.inputs[0], node)
        let t = try constant(node.inputs[1], node)
        guard values[x].dtype == .uint8, values[out].dtype == .uint8 else {
            throw RuntimeError.unsupported(node: node.name, problem: "Lookup maps uint8 values to uint8 values")
        }
        guard t.dtype == .uint8, t.shape == [256] else { throw fail(node, "the table '\(t.name)' must be uint8 of shape [256], not \(t.dtype.name) \(t.shape)") }
        try expectShape(out, values[x].shape, node)
        values[out].channelsLast = values[x].channelsLast
        let table = try store.allocate(256).bindMemory(to: UInt8.self, capacity: 256)
        let raw = file.data(of: node.inputs[1])
        for i in 0 ..< 256 { table[i] = raw[i] }
        return .lookup(TableLookup(input: x, output: out, table: table))
    }
}
