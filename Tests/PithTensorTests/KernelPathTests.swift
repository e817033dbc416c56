import CPithRuntimeKernels
import CPithTrainKernels
import PithTensor
import XCTest

/// Each C kernel's AVX-512 twin against its portable reference: bit-identical outputs on
/// random sizes, odd and prime ones included, and extreme values.
final class KernelPathTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(pith_cpu_has_avx512() != 0, "this CPU has no AVX-512: only the reference path runs")
    }

    func values(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = PithRandom(seed: seed)
        var v = (0..<n).map { _ in rng.nextNormal() * scale }
        if n > 8 { v[1] = 0; v[3] = -0.0; v[5] = 1e30; v[7] = -1e-30 }
        return v
    }

    func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

    func testAdam() {
        for n in [1, 7, 16, 31, 97, 1000, 4099] {
            let g = values(n, seed: 1), w0 = values(n, seed: 2), m0 = values(n, seed: 3, scale: 0.1)
            let v0 = values(n, seed: 4).map { abs($0) }
            for (l2, decay) in [(Float(0), Float(0)), (0.01, 0), (0, 1e-4)] {
                var p = pith_adam_params(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 1e-3 / 0.19,
                                         invSqrtC2: 1 / (0.002997 as Float).squareRoot(), l2: l2, decay: decay)
                var (wa, ma, va) = (w0, m0, v0), (wb, mb, vb) = (w0, m0, v0)
                var (ga, gb) = (g, g)
                pith_adam_generic(&wa, &ga, &ma, &va, n, &p)
                pith_adam_avx512(&wb, &gb, &mb, &vb, n, &p)
                XCTAssert(ga.allSatisfy { $0 == 0 } && gb.allSatisfy { $0 == 0 }, "the gradient is cleared")
                XCTAssertEqual(bits(wa), bits(wb), "n \(n)")
                XCTAssertEqual(bits(ma), bits(mb))
                XCTAssertEqual(bits(va), bits(vb))
                XCTAssertNotEqual(bits(wa), bits(w0), "the update changed the weights")
            }
        }
    }

    func testReLU() {
        for n in [1, 13, 64, 1021] {
            var x = values(n, seed: 5)
            x[0] = .nan
            let gy = values(n, seed: 6)
            var ya = [Float](repeating: 9, count: n), yb = ya
            pith_relu_forward_generic(x, &ya, n)
            pith_relu_forward_avx512(x, &yb, n)
            XCTAssertEqual(bits(ya), bits(yb))
            XCTAssert(ya[0].isNaN, "NaN passes through")
            var ga = values(n, seed: 7), gb = ga
            pith_relu_backward_generic(x, gy, &ga, n)
            pith_relu_backward_avx512(x, gy, &gb, n)
            XCTAssertEqual(bits(ga), bits(gb))
        }
    }

    func testIm2colAndCol2im() {
        let shapes: [(c: Int, h: Int, w: Int, k: Int, s: Int, p: Int)] = [
            (1, 28, 28, 5, 1, 2), (4, 14, 14, 5, 1, 2), (2, 16, 16, 7, 1, 3), (3, 7, 11, 3, 2, 1), (2, 13, 5, 3, 1, 0), (5, 9, 9, 4, 3, 2), (1, 3, 3, 3, 1, 2),
        ]
        for t in shapes {
            let oh = convOutputSize(t.h, kernel: t.k, stride: t.s, padding: t.p)
            let ow = convOutputSize(t.w, kernel: t.k, stride: t.s, padding: t.p)
            var g = pith_conv_geometry(c: t.c, h: t.h, w: t.w, kh: t.k, kw: t.k, oh: oh, ow: ow, stride: t.s, padding: t.p)
            let image = values(t.c * t.h * t.w, seed: 8)
            let cols = t.c * t.k * t.k * oh * ow
            var ca = [Float](repeating: 7, count: cols), cb = ca
            pith_im2col_generic(image, &ca, &g)
            pith_im2col_avx512(image, &cb, &g)
            XCTAssertEqual(bits(ca), bits(cb), "\(t)")
            let col = values(cols, seed: 9)
            var ia = values(image.count, seed: 10), ib = ia
            pith_col2im_generic(col, &ia, &g)
            pith_col2im_avx512(col, &ib, &g)
            XCTAssertEqual(bits(ia), bits(ib), "\(t)")
            // Adjointness: <im2col(x), y> = <x, col2im(y)>.
            var back = [Float](repeating: 0, count: image.count)
            pith_col2im_generic(col, &back, &g)
            let lhs = zip(ca, col).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(image, back).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-6 * max(1, abs(lhs)), "\(t)")
        }
    }

    func testRowSumsAndMaxPool() {
        for (rows, cols) in [(1, 1), (3, 17), (64, 196), (5, 33)] {
            let x = values(rows * cols, seed: 11)
            var a = values(rows, seed: 12), b = a
            pith_row_sums_add_generic(x, rows, cols, &a)
            pith_row_sums_add_avx512(x, rows, cols, &b)
            XCTAssertEqual(bits(a), bits(b))
        }
        for (planes, h, w, k, s) in [(3, 28, 28, 2, 2), (2, 7, 9, 3, 2), (4, 5, 5, 2, 1), (1, 13, 13, 2, 2)] {
            let oh = (h - k) / s + 1, ow = (w - k) / s + 1
            var x = values(planes * h * w, seed: 13)
            x[2] = x[3]  // a tie: the first maximal element wins on both paths
            var ya = [Float](repeating: 0, count: planes * oh * ow), yb = ya
            var aa = [Int32](repeating: -1, count: ya.count), ab = aa
            pith_maxpool_forward_generic(x, &ya, &aa, planes, h, w, k, s, oh, ow)
            pith_maxpool_forward_avx512(x, &yb, &ab, planes, h, w, k, s, oh, ow)
            XCTAssertEqual(bits(ya), bits(yb))
            XCTAssertEqual(aa, ab)
            for e in 0..<ya.count { XCTAssertEqual(x[Int(aa[e])], ya[e]) }
        }
    }
}

/// The sequence kernels' AVX-512 twins against their portable references, bit for bit.
final class SequenceKernelPathTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(pith_cpu_has_avx512() != 0, "this CPU has no AVX-512: only the reference path runs")
    }

    func values(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = PithRandom(seed: seed)
        var v = (0..<n).map { _ in rng.nextNormal() * scale }
        if n > 8 { v[1] = 0; v[3] = -0.0; v[5] = 100; v[7] = -100 }
        return v
    }

    func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

    func testActivations() {
        for n in [1, 15, 16, 33, 1000] {
            let x = values(n, seed: 61, scale: 4), gy = values(n, seed: 62)
            var a = [Float](repeating: 0, count: n), b = a
            pith_sigmoid_forward_generic(x, &a, n); pith_sigmoid_forward_avx512(x, &b, n)
            XCTAssertEqual(bits(a), bits(b), "σ, n \(n)")
            pith_tanh_forward_generic(x, &a, n); pith_tanh_forward_avx512(x, &b, n)
            XCTAssertEqual(bits(a), bits(b), "tanh, n \(n)")
            pith_gelu_forward_generic(x, &a, n); pith_gelu_forward_avx512(x, &b, n)
            XCTAssertEqual(bits(a), bits(b), "GELU, n \(n)")
            var ga = values(n, seed: 63), gb = ga
            pith_gelu_backward_generic(x, gy, &ga, n); pith_gelu_backward_avx512(x, gy, &gb, n)
            XCTAssertEqual(bits(ga), bits(gb), "GELU backward, n \(n)")
        }
    }

    func testLSTMStep() {
        for (rows, hidden) in [(1, 1), (3, 17), (5, 32)] {
            let gs = 4 * hidden + 3, ss = hidden + 2  // strides wider than the rows
            let z = values(rows * gs, seed: 64, scale: 2), cPrev = values(rows * ss, seed: 65)
            var (za, zb) = (z, z)
            var ca = [Float](repeating: 0, count: rows * ss), cb = ca, ha = ca, hb = ca, ta = ca, tb = ca
            let bias = values(4 * hidden, seed: 69)
            pith_lstm_step_forward_generic(&za, gs, bias, cPrev, &ca, &ta, ss, &ha, ss, rows, hidden)
            pith_lstm_step_forward_avx512(&zb, gs, bias, cPrev, &cb, &tb, ss, &hb, ss, rows, hidden)
            XCTAssertEqual(bits(za), bits(zb)); XCTAssertEqual(bits(ca), bits(cb)); XCTAssertEqual(bits(ha), bits(hb))
            XCTAssertEqual(bits(ta), bits(tb))
            let up = values(rows * hidden, seed: 66), rec = values(rows * hidden, seed: 67)
            var dca = values(rows * hidden, seed: 68), dcb = dca
            var dga = [Float](repeating: 0, count: rows * gs), dgb = dga
            pith_lstm_step_backward_generic(za, &dga, gs, cPrev, ta, ss, up, hidden, rec, &dca, rows, hidden)
            pith_lstm_step_backward_avx512(za, &dgb, gs, cPrev, ta, ss, up, hidden, rec, &dcb, rows, hidden)
            XCTAssertEqual(bits(dga), bits(dgb)); XCTAssertEqual(bits(dca), bits(dcb))
        }
    }

    func testLayerNorm() {
        for (rows, d) in [(1, 1), (7, 17), (4, 64)] {
            let x = values(rows * d, seed: 69), gamma = values(d, seed: 70), beta = values(d, seed: 71), gy = values(rows * d, seed: 72)
            var ya = [Float](repeating: 0, count: rows * d), yb = ya, ha = ya, hb = ya
            var ra = [Float](repeating: 0, count: rows), rb = ra
            pith_layernorm_forward_generic(x, gamma, beta, &ya, &ha, &ra, rows, d, 1e-5)
            pith_layernorm_forward_avx512(x, gamma, beta, &yb, &hb, &rb, rows, d, 1e-5)
            XCTAssertEqual(bits(ya), bits(yb)); XCTAssertEqual(bits(ha), bits(hb)); XCTAssertEqual(bits(ra), bits(rb))
            var gxa = values(rows * d, seed: 73), gxb = gxa, gga = values(d, seed: 74), ggb = gga, gba = gga, gbb = gga
            pith_layernorm_backward_generic(gy, ha, ra, gamma, &gxa, &gga, &gba, rows, d)
            pith_layernorm_backward_avx512(gy, ha, ra, gamma, &gxb, &ggb, &gbb, rows, d)
            XCTAssertEqual(bits(gxa), bits(gxb)); XCTAssertEqual(bits(gga), bits(ggb)); XCTAssertEqual(bits(gba), bits(gbb))
        }
    }

    func testAttention() {
        for (b, t, heads, dh) in [(1, 1, 1, 1), (2, 7, 3, 5), (2, 28, 4, 16)] {
            let d = heads * dh, pairs = b * heads
            let qkv = values(b * t * 3 * d, seed: 75), gout = values(b * t * d, seed: 76)
            var oa = [Float](repeating: 0, count: b * t * d), ob = oa
            var pa = [Float](repeating: 0, count: pairs * t * t), pb = pa
            var scratch = [Float](repeating: 0, count: (t + 16) * (dh + 2) + t * t)
            // With probabilities rounded to 1/255 (quantization-aware training) too.
            var qa = pa, qb = pa, ra = oa, rb = oa
            pith_attention_forward_generic(qkv, &ra, &qa, 255, 0, pairs, heads, t, dh, &scratch)
            pith_attention_forward_avx512(qkv, &rb, &qb, 255, 0, pairs, heads, t, dh, &scratch)
            XCTAssertEqual(bits(ra), bits(rb)); XCTAssertEqual(bits(qa), bits(qb))
            XCTAssert(qa.allSatisfy { ($0 * 255).rounded() == $0 * 255 || abs(($0 * 255).rounded() - $0 * 255) < 1e-3 }, "probabilities on the 1/255 grid")
            pith_attention_forward_generic(qkv, &oa, &pa, 0, 0, pairs, heads, t, dh, &scratch)
            pith_attention_forward_avx512(qkv, &ob, &pb, 0, 0, pairs, heads, t, dh, &scratch)
            XCTAssertEqual(bits(oa), bits(ob)); XCTAssertEqual(bits(pa), bits(pb))
            var ga = values(b * t * 3 * d, seed: 77), gb = ga
            pith_attention_backward_generic(qkv, pa, gout, &ga, 0, pairs, heads, t, dh, &scratch)
            pith_attention_backward_avx512(qkv, pa, gout, &gb, 0, pairs, heads, t, dh, &scratch)
            XCTAssertEqual(bits(ga), bits(gb))
        }
    }
}
