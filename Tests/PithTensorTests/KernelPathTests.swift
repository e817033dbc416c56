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
