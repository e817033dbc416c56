import CPithRuntimeKernels
import PithFormat

/// The integer LSTM step (pith_q_lstm.h): uint8 sequences (T, F) → uint8 hidden states,
/// int8 weights, int16 cell state and gates, requantized in fixed point. The weights are
/// kept as the file has them (for the reference kernel) and packed (for pith_q_lstm_run).
struct QuantizedLSTM {
    var input: Int, output: Int
    /// The kernel's parameters; its pointers lie in the weight store.
    var parameters: pith_q_lstm
    var hidden: Int { Int(parameters.hidden) }
}

extension GraphPreparation {
    /// LSTM x (T, F) uint8, W (4H, F) and U (4H, H) int8 symmetric per gate row, [b (4H)
    /// int32 in units of s_x·s_w[r]] → (H) or (T, H) uint8.
    mutating func lstm(_ node: Node, out: Int) throws(RuntimeError) -> Step {
        let x = try value(node.inputs[0], node)
        let w = try constant(node.inputs[1], node), u = try constant(node.inputs[2], node)
        let b = node.inputs.count > 3 ? try constant(node.inputs[3], node) : nil
        let xv = values[x], ov = values[out]
        guard xv.dtype == .uint8, ov.dtype == .uint8, xv.quantized, ov.quantized, w.dtype == .int8, u.dtype == .int8 else {
            throw RuntimeError.unsupported(node: node.name, problem: "LSTM runs on uint8 values with int8 weights")
        }
        guard xv.shape.count == 2 else { throw fail(node, "input shape \(xv.shape) is not (T, F)") }
        let (steps, features) = (xv.shape[0], xv.shape[1])
        guard u.shape.count == 2, u.shape[0] == 4 * u.shape[1] else { throw fail(node, "recurrent weight shape \(u.shape) is not (4H, H)") }
        let hidden = u.shape[1], rows = 4 * hidden
        guard w.shape == [rows, features] else { throw fail(node, "input weight shape \(w.shape), expected [\(rows), \(features)]") }
        let sequence = node.attribute("sequence") == 1
        try expectShape(out, sequence ? [steps, hidden] : [hidden], node)
        // |b| + 2·F·255·128 and H·255·128 must stay within int32 (any order of summing).
        guard features <= 32_000, hidden <= 65_000 else {
            throw fail(node, "\(features) inputs and \(hidden) hidden units: its int32 accumulators could overflow (at most 32,000 and 65,000)")
        }
        let reach = 2 * 255 * 128 * features
        let ws = try symmetricScales(w, rows: rows, node), us = try symmetricScales(u, rows: rows, node)
        let wp = try int8Copy(node.inputs[1], count: rows * features), up = try int8Copy(node.inputs[2], count: rows * hidden)
        var bias: UnsafeMutablePointer<Int32>? = nil
        if let b {
            guard b.shape == [rows] else { throw fail(node, "bias shape \(b.shape), expected [\(rows)]") }
            bias = try int32Bias(node.inputs[3], b, count: rows, reach: reach, products: features, node)
        }
        let xm = try store.ints(rows), xs = try store.ints(rows), hm = try store.ints(rows), hs = try store.ints(rows)
        for r in 0 ..< rows {
            // Gate pre-activations are Q3.12: units 2^-12.
            let mx = Double(xv.scale) * Double(ws[r]) * 4096, mh = Double(ov.scale) * Double(us[r]) * 4096
            guard mx > 0, mx < 1_048_576.0, mh > 0, mh < 1_048_576.0 else {
                throw fail(node, "the gate multipliers of row \(r) are not in (0, 2^20)")
            }
            pith_q8_quantize_multiplier(mx, xm + r, xs + r)
            pith_q8_quantize_multiplier(mh, hm + r, hs + r)
        }
        // o·tanh(c) is in units of 2^-30.
        let mo = 1 / (Double(ov.scale) * 1_073_741_824.0)
        guard mo > 0, mo < 1_048_576.0 else { throw fail(node, "the output multiplier 2^-30/s_h is not in (0, 2^20)") }
        var om: Int32 = 0, os: Int32 = 0
        pith_q8_quantize_multiplier(mo, &om, &os)
        let p = pith_q_lstm(steps: Int32(steps), features: Int32(features), hidden: Int32(hidden), w: wp, u: up, bias: bias,
                            x_mult: xm, x_shift: xs, h_mult: hm, h_shift: hs, out_mult: om, out_shift: os,
                            x_zero: xv.zeroPoint, h_zero: ov.zeroPoint, cell_shift: Int32(node.attribute("cell_shift")!),
                            sequence: sequence ? 1 : 0,
                            w_packed: try packed(wp, rows: rows, columns: features), u_packed: try packed(up, rows: rows, columns: hidden))
        return .quantizedLSTM(QuantizedLSTM(input: x, output: out, parameters: p))
    }

    /// int8 (rows, columns) packed for the int8 GEMM (pith_q8_pack), in the weight store.
    func packed(_ w: UnsafePointer<Int8>, rows: Int, columns: Int) throws(RuntimeError) -> UnsafeMutablePointer<pith_q8_packed> {
        let p = try store.allocate(MemoryLayout<pith_q8_packed>.stride).bindMemory(to: pith_q8_packed.self, capacity: 1)
        p.initialize(to: pith_q8_packed(K: Int32(columns), N: Int32(rows), K4: 0, NP: 0,
                                        data: try store.allocate(Int(pith_q8_packed_bytes(Int32(columns), Int32(rows)))).bindMemory(to: Int8.self, capacity: 1),
                                        colsum: try store.ints(rows)))
        pith_q8_pack(w, Int32(rows), Int32(columns), p)
        return p
    }

    /// A copy of an int8 constant in the weight store.
    func int8Copy(_ tensor: Int, count: Int) throws(RuntimeError) -> UnsafeMutablePointer<Int8> {
        let raw = file.data(of: tensor)
        let p = try store.allocate(count).bindMemory(to: Int8.self, capacity: count)
        for i in 0 ..< count { p[i] = Int8(bitPattern: raw[i]) }
        return p
    }
}
