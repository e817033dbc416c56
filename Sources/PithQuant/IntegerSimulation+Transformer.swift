import Foundation
import PithFormat

/// The integer Transformer's ops in plain Swift (docs/quantization.md, "Integer
/// Transformer"), apart from the runtime's C kernels (pith_q_transformer.h) so that a test
/// can hold one to the other bit for bit. A ratio r is (mult, shift) with mult =
/// round(r·2^shift) in [2^29, 2^30), applied as (x·mult + 2^(shift−1)) >> shift.
///
///     LayerNorm:  n_i = round(2^16·(D·x_i − Σx)/⌊√(D·Σx² − (Σx)² + round(ε·D²/s_x²))⌋)   (one reciprocal a row)
///                 y_i = (n_i·round(γ_i/s_y·2^15) + round((β_i/s_y + z_y)·2^31) + 2^30) >> 31
///     Attention:  S_j = Σ_c (q_c − z_q)(k_jc − z_k),  w_j = min(−ratio(S_j − max S), 16383)  (Q10)
///                 e_j = R(R(A[w >> 10], B[(w >> 5) & 31]), C[w & 31]),  R(a, b) = (a·b + 2^14) >> 15
///                 p_j = (e_j·⌊255·2^38/Σe⌋ + 2^37) >> 38,  y_c = z_o + ratio(Σ_j p_j (v_jc − z_v))
///     Add:        y = z_y + (a_mult·(a − z_a) + b_mult·(b − z_b) + 2^(shift−1)) >> shift
///     MeanTokens: y_c = z_y + ratio(Σ_t (x_tc − z_x)),  ratio s_x/(T·s_y)
extension IntegerSimulation {
    /// 32767·e^−x rounded half away from zero: the exp tables' entries (Q15).
    static func q15Exp(_ x: Double) -> Int64 { Int64((32767 * Foundation.exp(-x) + 0.5).rounded(.down)) }
    /// high[a] = 32767·e^−a (a < 16, then zeros), mid[b] = 32767·e^(−b/32), low[c] = 32767·e^(−c/1024).
    static let expHigh: [Int64] = (0..<32).map { $0 < 16 ? q15Exp(Double($0)) : 0 }
    static let expMid: [Int64] = (0..<32).map { q15Exp(Double($0) / 32) }
    static let expLow: [Int64] = (0..<32).map { q15Exp(Double($0) / 1024) }

    /// exp(−w/1024) in Q15 for w in 0...16383 (Q10): the three tables' product, rounded as vpmulhrsw.
    static func expQ15(_ w: Int64) -> Int64 {
        func r(_ a: Int64, _ b: Int64) -> Int64 { (a * b + (1 << 14)) >> 15 }
        return r(r(expHigh[Int(w >> 10)], expMid[Int((w >> 5) & 31)]), expLow[Int(w & 31)])
    }

    struct Ratio: Equatable {
        var mult: Int64
        var shift: Int64

        /// As pith_q_ratio_make: shift = min(30 − e, 62) for r = m·2^e, m in [0.5, 1).
        init(_ r: Double) {
            guard r > 0, r < 1_048_576 else { (mult, shift) = (0, 1); return }
            var s = 30 - Int64(r.exponent + 1)
            s = min(s, 62)
            var m = Int64((r * Self.power2(s)).rounded())
            if m >= 1 << 30 { m = 1 << 29; s -= 1 }
            (mult, shift) = (m, s)
        }

        static func power2(_ s: Int64) -> Double { Double(sign: .plus, exponent: Int(s), significand: 1) }

        func apply(_ x: Int64) -> Int64 { (x * mult + (1 << (shift - 1))) >> shift }
    }

    static func clamp255(_ v: Int64) -> Int32 { Int32(max(0, min(255, v))) }

    /// floor(√v), bit by bit.
    static func isqrt(_ v: Int64) -> Int64 {
        guard v > 0 else { return 0 }
        var x = UInt64(v), r: UInt64 = 0, bit: UInt64 = 1 << 62
        while bit > x { bit >>= 2 }
        while bit != 0 {
            if x >= r + bit { x -= r + bit; r = (r >> 1) + bit } else { r >>= 1 }
            bit >>= 2
        }
        return Int64(r)
    }

    func floats(_ index: Int) -> [Float] {
        let b = model.data[index]
        return stride(from: 0, to: b.count, by: 4).map { i in
            Float(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
        }
    }

    func layerNorm(_ node: Node, x: [Int32]) throws(Failure) -> [Int32] {
        let xInfo = model.tensors[node.inputs[0]], yInfo = model.tensors[node.outputs[0]]
        let (sx, _) = Self.perTensor(xInfo), (sy, zy) = Self.perTensor(yInfo)
        let d = xInfo.shape.last!, gamma = floats(node.inputs[1]), beta = floats(node.inputs[2])
        var epsilon = 1.0
        for _ in 0..<(node.attribute("epsilon_exponent") ?? 5) { epsilon *= 10 }
        epsilon = 1 / epsilon
        let e = (epsilon * Double(d) * Double(d) / (Double(sx) * Double(sx))).rounded()
        let eps = e.isFinite ? Int64(min(max(e, 0), 1_125_899_906_842_624)) : 1_125_899_906_842_624
        let gain = gamma.map { Int64((Double($0) / Double(sy) * 32768).rounded()) }
        let offset = beta.map { Int64(((Double($0) / Double(sy) + Double(zy)) * 2_147_483_648).rounded()) + 1_073_741_824 }
        var y = [Int32](repeating: 0, count: x.count)
        let D = Int64(d)
        for r in 0..<(x.count / d) {
            var sum: Int64 = 0, squares: Int64 = 0
            for i in 0..<d { let v = Int64(x[r * d + i]); sum += v; squares += v * v }
            let den = Self.isqrt(D * squares - sum * sum + eps)
            for i in 0..<d {
                var n: Int64 = 0
                if den > 0 {
                    let l = Int64(63 - den.leadingZeroBitCount)
                    let inv = ((1 << (30 + l)) + den / 2) / den
                    n = ((D * Int64(x[r * d + i]) - sum) * inv + (1 << (l + 13))) >> (l + 14)
                }
                y[r * d + i] = Self.clamp255((n * gain[i] + offset[i]) >> 31)
            }
        }
        return y
    }

    func attention(_ node: Node, q: [Int32], k: [Int32], v: [Int32]) -> [Int32] {
        let qInfo = model.tensors[node.inputs[0]]
        let (sq, zq) = Self.perTensor(qInfo), (sk, zk) = Self.perTensor(model.tensors[node.inputs[1]])
        let (sv, zv) = Self.perTensor(model.tensors[node.inputs[2]]), (so, zo) = Self.perTensor(model.tensors[node.outputs[0]])
        let (t, d) = (qInfo.shape[0], qInfo.shape[1]), heads = Int(node.attribute("heads")!), dh = d / heads
        let score = Ratio(Double(sq) * Double(sk) / Double(dh).squareRoot() * 1024)
        let out = Ratio(Double(sv) / (255 * Double(so)))
        var y = [Int32](repeating: 0, count: t * d)
        for h in 0..<heads {
            for i in 0..<t {
                let s: [Int64] = (0..<t).map { j in
                    var acc: Int32 = 0
                    for c in h * dh ..< (h + 1) * dh { acc += (q[i * d + c] - zq) * (k[j * d + c] - zk) }
                    return Int64(acc)
                }
                let m = s.max()!
                let e: [Int64] = s.map { sj in Self.expQ15(min(-score.apply(sj - m), 16383)) }
                let r = (Int64(255) << 38) / e.reduce(0, +)
                let p = e.map { ($0 * r + (1 << 37)) >> 38 }
                for c in h * dh ..< (h + 1) * dh {
                    var acc: Int64 = 0
                    for j in 0..<t { acc += p[j] * Int64(v[j * d + c] - zv) }
                    y[i * d + c] = Self.clamp255(Int64(zo) + out.apply(acc))
                }
            }
        }
        return y
    }

    func add(_ node: Node, a: [Int32], b: [Int32]) -> [Int32] {
        let (sa, za) = Self.perTensor(model.tensors[node.inputs[0]]), (sb, zb) = Self.perTensor(model.tensors[node.inputs[1]])
        let (sy, zy) = Self.perTensor(model.tensors[node.outputs[0]])
        let ra = Double(sa) / Double(sy), rb = Double(sb) / Double(sy)
        let shift = Ratio(max(ra, rb)).shift
        let am = Int64((ra * Ratio.power2(shift)).rounded()), bm = Int64((rb * Ratio.power2(shift)).rounded())
        return zip(a, b).map { x, y in
            Self.clamp255(Int64(zy) + ((am * Int64(x - za) + bm * Int64(y - zb) + (1 << (shift - 1))) >> shift))
        }
    }

    func meanTokens(_ node: Node, x: [Int32]) -> [Int32] {
        let xInfo = model.tensors[node.inputs[0]]
        let (sx, zx) = Self.perTensor(xInfo), (sy, zy) = Self.perTensor(model.tensors[node.outputs[0]])
        let (t, d) = (xInfo.shape[0], xInfo.shape[1])
        let ratio = Ratio(Double(sx) / (Double(t) * Double(sy)))
        return (0..<d).map { c in
            var acc: Int64 = 0
            for i in 0..<t { acc += Int64(x[i * d + c] - zx) }
            return Self.clamp255(Int64(zy) + ratio.apply(acc))
        }
    }
}
