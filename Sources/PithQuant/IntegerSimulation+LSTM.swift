import Foundation
import PithFormat

/// The integer LSTM in plain Swift (docs/quantization.md, "Integer LSTM"), apart from the
/// runtime's C kernel (pith_q_lstm.h) so that a test can hold one to the other bit for bit.
///
/// Per step, row r of the gates [i | f | g | o] (4H rows):
///
///     z[r] = sat16(MBQM(b[r] + Σ W[r,i](x_i − z_x), Mx[r]) + MBQM(Σ U[r,j](h_j − z_h), Mh[r]))   Q3.12
///     i, f, o = σ(z), g = tanh(z)                                                                 Q0.15
///     c = sat16(rshift(f·c, 15) + rshift(i·g, 30 − cell_shift))                                   2^-cell_shift
///     h = clamp(z_h + MBQM(o·tanh(q12(c)), 2^-30/s_h), 0, 255)
///
/// with Mx[r] = s_x·s_w[r]·2^12, Mh[r] = s_h·s_u[r]·2^12 and σ, tanh read from 513-entry
/// tables at −8 + k/32 (units 2^-15) with linear interpolation.
extension IntegerSimulation {
    /// Entry k of the activation table of `f`: f(−8 + k/32) in units of 2^-15, rounded
    /// half away from zero, within ±32767.
    static func activationTable(_ f: (Double) -> Double) -> [Int32] {
        (0...512).map { k in
            let v = f(-8 + Double(k) / 32)
            let r = min((abs(v) * 32768 + 0.5).rounded(.down), 32767)
            return Int32(v < 0 ? -r : r)
        }
    }

    static let sigmoidTable = activationTable { 1 / (1 + exp(-$0)) }
    static let tanhTable = activationTable { tanh($0) }

    static func saturate16(_ v: Int32) -> Int32 { max(-32768, min(32767, v)) }

    static func roundingShift(_ v: Int32, _ s: Int32) -> Int32 {
        s > 0 ? Int32((Int64(v) + (Int64(1) << Int64(s - 1))) >> Int64(s)) : v
    }

    /// The table's value at Q3.12 `z` (saturated to int16 first), interpolated.
    static func lookup(_ table: [Int32], _ z: Int32) -> Int32 {
        let u = saturate16(z) + 32768, k = Int(u >> 7), t = u & 127
        return table[k] + (((table[k + 1] - table[k]) * t + 64) >> 7)
    }

    func lstm(_ node: Node, x: [Int32]) throws(Failure) -> [Int32] {
        let xInfo = model.tensors[node.inputs[0]], yInfo = model.tensors[node.outputs[0]]
        let wInfo = model.tensors[node.inputs[1]], uInfo = model.tensors[node.inputs[2]]
        let (sx, zx) = Self.perTensor(xInfo), (sh, zh) = Self.perTensor(yInfo)
        guard case let .perChannel(0, sw, _) = wInfo.quantization, case let .perChannel(0, su, _) = uInfo.quantization else {
            throw .unsupported("LSTM weights not per channel")
        }
        let (steps, features, hidden) = (xInfo.shape[0], xInfo.shape[1], uInfo.shape[1])
        let rows = 4 * hidden
        let w = int8(node.inputs[1]), u = int8(node.inputs[2])
        let bias = node.inputs.count > 3 ? int32(node.inputs[3]) : [Int32](repeating: 0, count: rows)
        let cellShift = Int32(node.attribute("cell_shift")!), sequence = node.attribute("sequence") == 1
        let mx = (0..<rows).map { Self.quantizeMultiplier(Double(sx) * Double(sw[$0]) * 4096) }
        let mh = (0..<rows).map { Self.quantizeMultiplier(Double(sh) * Double(su[$0]) * 4096) }
        let mo = Self.quantizeMultiplier(1 / (Double(sh) * 1_073_741_824.0))
        var c = [Int32](repeating: 0, count: hidden), h = [Int32](repeating: zh, count: hidden)
        var z = [Int32](repeating: 0, count: rows), y: [Int32] = []
        for t in 0..<steps {
            for r in 0..<rows {
                var ax = bias[r], ah: Int32 = 0
                for i in 0..<features { ax += (x[t * features + i] - zx) * w[r * features + i] }
                for j in 0..<hidden { ah += (h[j] - zh) * u[r * hidden + j] }
                // The exact sum (each product may reach ±2³¹), saturated.
                let sum = Int(Self.multiply(ax, mx[r].0, mx[r].1)) + Int(Self.multiply(ah, mh[r].0, mh[r].1))
                z[r] = Int32(max(-32768, min(32767, sum)))
            }
            for j in 0..<hidden {
                let ig = Self.lookup(Self.sigmoidTable, z[j]), fg = Self.lookup(Self.sigmoidTable, z[hidden + j])
                let gg = Self.lookup(Self.tanhTable, z[2 * hidden + j]), og = Self.lookup(Self.sigmoidTable, z[3 * hidden + j])
                c[j] = Self.saturate16(Self.roundingShift(fg * c[j], 15) + Self.roundingShift(ig * gg, 30 - cellShift))
                let q12 = cellShift >= 12 ? Self.roundingShift(c[j], cellShift - 12) : Self.saturate16(c[j] << (12 - cellShift))
                let tc = Self.lookup(Self.tanhTable, q12)
                h[j] = max(0, min(255, zh + Self.multiply(og * tc, mo.0, mo.1)))
            }
            if sequence { y += h }
        }
        return sequence ? y : h
    }
}
