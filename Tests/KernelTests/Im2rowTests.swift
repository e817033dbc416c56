import CPithRuntimeKernels
import XCTest

/// Channels-last convolution patches against their definition: row (oy, ox) holds, for
/// ky, kx, c in that order, x[oy·s − p + ky][ox·s − p + kx][c], or the pad value outside
/// the image; uint8 rows are ldr bytes apart with zeros past C·k·k.
final class Im2rowTests: XCTestCase {
    struct Case { var c, h, w, k, stride, padding: Int32 }

    static let cases: [Case] = [
        Case(c: 1, h: 28, w: 28, k: 5, stride: 1, padding: 2), Case(c: 32, h: 14, w: 14, k: 5, stride: 1, padding: 2),
        Case(c: 1, h: 28, w: 28, k: 3, stride: 1, padding: 1), Case(c: 8, h: 14, w: 14, k: 3, stride: 1, padding: 1),
        Case(c: 3, h: 9, w: 7, k: 3, stride: 2, padding: 1), Case(c: 5, h: 6, w: 11, k: 4, stride: 3, padding: 3),
        Case(c: 2, h: 5, w: 5, k: 5, stride: 1, padding: 0), Case(c: 7, h: 3, w: 4, k: 2, stride: 1, padding: 1),
        Case(c: 1, h: 1, w: 1, k: 1, stride: 1, padding: 0), Case(c: 13, h: 8, w: 8, k: 3, stride: 2, padding: 2),
        // Padded inputs (no border) with short runs: the whole-row path.
        Case(c: 1, h: 32, w: 32, k: 5, stride: 1, padding: 0), Case(c: 1, h: 12, w: 13, k: 6, stride: 2, padding: 0),
        Case(c: 2, h: 9, w: 9, k: 3, stride: 1, padding: 0),
    ]

    func output(_ c: Case) -> (Int32, Int32) {
        ((c.h + 2 * c.padding - c.k) / c.stride + 1, (c.w + 2 * c.padding - c.k) / c.stride + 1)
    }

    /// The patch value at (oy, ox, t), t = (ky·k + kx)·C + ch; nil outside the image.
    func source(_ c: Case, _ oy: Int32, _ ox: Int32, _ t: Int32) -> Int? {
        let ch = t % c.c, kx = (t / c.c) % c.k, ky = t / (c.c * c.k)
        let iy = oy * c.stride - c.padding + ky, ix = ox * c.stride - c.padding + kx
        guard iy >= 0, iy < c.h, ix >= 0, ix < c.w else { return nil }
        return Int((iy * c.w + ix) * c.c + ch)
    }

    func testUInt8PatchesMatchTheDefinition() {
        var rng = Q8GemmTests.Rng(s: 11)
        for c in Self.cases {
            let (oh, ow) = output(c)
            let patch = c.c * c.k * c.k
            for slack: Int32 in [0, 3, 9] {
                let ldr = patch + slack
                let x = (0 ..< Int(c.c * c.h * c.w)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                let pad = UInt8(rng.next() % 256)
                // The kernel may read a few bytes past the input (its 4- and 8-byte moves).
                let input = x + [UInt8](repeating: 0xEE, count: 64)
                var rows = [UInt8](repeating: 0x5A, count: Int(oh * ow * ldr) + 64)
                pith_im2row_nhwc_u8(input, c.c, c.h, c.w, c.k, c.stride, c.padding, oh, ow, pad, &rows, ldr)
                for oy in 0 ..< oh {
                    for ox in 0 ..< ow {
                        let row = Int((oy * ow + ox) * ldr)
                        for t in 0 ..< ldr {
                            let want: UInt8 = t >= patch ? 0 : source(c, oy, ox, t).map { x[$0] } ?? pad
                            if rows[row + Int(t)] != want {
                                return XCTFail("\(c) ldr \(ldr): row (\(oy), \(ox)) byte \(t) is \(rows[row + Int(t)]), not \(want)")
                            }
                        }
                    }
                }
                XCTAssertEqual(Array(rows[Int(oh * ow * ldr)...]), [UInt8](repeating: 0x5A, count: 64), "\(c): wrote past the rows")
            }
        }
    }

    func testFloatPatchesMatchTheDefinition() {
        var rng = Q8GemmTests.Rng(s: 12)
        for c in Self.cases {
            let (oh, ow) = output(c)
            let patch = c.c * c.k * c.k
            let x = (0 ..< Int(c.c * c.h * c.w)).map { _ in Float(Int(rng.next() % 2001) - 1000) / 7 }
            var rows = [Float](repeating: .nan, count: Int(oh * ow * patch) + 16)
            pith_im2row_nhwc_f32(x + [Float](repeating: 1e9, count: 16), c.c, c.h, c.w, c.k, c.stride, c.padding, oh, ow, &rows)
            for oy in 0 ..< oh {
                for ox in 0 ..< ow {
                    for t in 0 ..< patch {
                        let want = source(c, oy, ox, t).map { x[$0] } ?? 0
                        let got = rows[Int((oy * ow + ox) * patch + t)]
                        if got.bitPattern != want.bitPattern { return XCTFail("\(c): row (\(oy), \(ox)) value \(t) is \(got), not \(want)") }
                    }
                }
            }
            XCTAssert(rows[Int(oh * ow * patch)...].allSatisfy { $0.isNaN }, "\(c): wrote past the rows")
        }
    }
}

/// Convolutions read through group offsets into a padded input — the AVX-512 VNNI
/// implicit GEMM, and on every path the gathered patches through the GEMM — against
/// im2row patches through the reference GEMM and requantization. Channels 1 and 2 take
/// kernel rows widened to whole groups of 4 (zero weights past the kernel).
final class ImplicitConvolutionTests: XCTestCase {
    func testOffsetConvolutionMatchesPatchesThroughTheReference() throws {
        var rng = Q8GemmTests.Rng(s: 31)
        // (C, H, W, k, stride, padding, filters)
        let cases: [(Int32, Int32, Int32, Int32, Int32, Int32, Int32)] = [
            (32, 14, 14, 5, 1, 2, 64), (8, 14, 14, 3, 1, 1, 16), (4, 9, 7, 3, 2, 1, 5), (12, 6, 11, 4, 3, 3, 70),
            (4, 5, 5, 5, 1, 0, 17), (16, 3, 4, 2, 1, 1, 130), (4, 1, 1, 1, 1, 0, 1), (8, 8, 8, 3, 2, 2, 33),
            (1, 28, 28, 5, 1, 2, 32), (1, 28, 28, 3, 1, 1, 8), (2, 9, 9, 3, 2, 1, 7), (1, 6, 6, 4, 1, 0, 3), (2, 7, 5, 5, 1, 2, 20),
            (64, 9, 9, 3, 1, 1, 64),
        ]
        let paths: [pith_q8_path] = [PITH_Q8_REFERENCE, PITH_Q8_AVX2, PITH_Q8_AVXVNNI, PITH_Q8_AVX512VNNI].filter { pith_q8_path_supported($0) != 0 }
        for (c, h, w, k, stride, padding, f) in cases {
            let oh = (h + 2 * padding - k) / stride + 1, ow = (w + 2 * padding - k) / stride + 1
            let patch = c * k * k, m = oh * ow
            let kw = (k * c + 3) / 4 * 4 / c, wide = k * kw * c
            let sparse = rng.next() % 2 == 0  // many zeros, as after a ReLU
            let x = (0 ..< Int(c * h * w)).map { _ in sparse && rng.next() % 3 != 0 ? 0 : UInt8(truncatingIfNeeded: rng.next()) }
            let weights = (0 ..< Int(f * patch)).map { _ in Int8(truncatingIfNeeded: rng.next()) }  // (F, k, k, C)
            var widened = [Int8](repeating: 0, count: Int(f * wide))                                // (F, k, kw, C)
            for j in 0 ..< Int(f) {
                for ky in 0 ..< Int(k) {
                    for t in 0 ..< Int(k * c) { widened[j * Int(wide) + ky * Int(kw * c) + t] = weights[j * Int(patch) + ky * Int(k * c) + t] }
                }
            }
            let bias = (0 ..< Int(f)).map { _ in Int32(truncatingIfNeeded: rng.next() % 20001) - 10000 }
            var mult = [Int32](repeating: 0, count: Int(f)), shift = [Int32](repeating: 0, count: Int(f))
            for j in 0 ..< Int(f) { pith_q8_quantize_multiplier(Double(rng.next() % 1000 + 1) * 1e-5, &mult[j], &shift[j]) }
            let za = Int32(rng.next() % 256)
            // The reference: patches, the reference GEMM, the reference requantization.
            var rows = [UInt8](repeating: 0, count: Int(m * patch) + 64)
            pith_im2row_nhwc_u8(x + [UInt8](repeating: 0, count: 64), c, h, w, k, stride, padding, oh, ow, UInt8(za), &rows, patch)
            var acc = [Int32](repeating: 0, count: Int(m * f))
            pith_q8_gemm_reference(rows, Int(patch), m, weights, f, patch, bias, za, &acc, Int(f))
            let wp = w + 2 * padding
            // 64 bytes of slack: widened rows read a few bytes past the last pixel.
            var padded = [UInt8](repeating: 0x77, count: Int((h + 2 * padding) * wp * c) + 64)
            pith_pad_nhwc_u8(x, h, w, c, padding, UInt8(za), &padded)
            var offsets = [Int32](repeating: 0, count: Int(wide / 4))
            pith_q8_conv_offsets(c, k, kw, wp, &offsets)
            let bytes = pith_q8_packed_bytes(wide, f)
            let data = UnsafeMutableRawPointer.allocate(byteCount: max(Int(bytes), 64), alignment: 64)
            let colsum = UnsafeMutablePointer<Int32>.allocate(capacity: Int(f))
            defer { data.deallocate(); colsum.deallocate() }
            var packed = pith_q8_packed(K: wide, N: f, K4: 0, NP: 0, data: data.assumingMemoryBound(to: Int8.self), colsum: colsum)
            pith_q8_pack(widened, f, wide, &packed)
            let label = "C \(c) \(h)×\(w) k \(k) stride \(stride) padding \(padding) filters \(f)"
            bias.withUnsafeBufferPointer { b in mult.withUnsafeBufferPointer { mu in shift.withUnsafeBufferPointer { sh in
                var o = pith_q8_output(a_zero: za, bias: b.baseAddress, mult: mu.baseAddress, shift: sh.baseAddress,
                                       out_zero: 5, out_min: 5, out_max: 255)
                var expected = [UInt8](repeating: 0, count: Int(m * f))
                for r in 0 ..< Int(m) {
                    acc.withUnsafeBufferPointer { a in
                        expected.withUnsafeMutableBufferPointer { pith_q8_requantize_reference(a.baseAddress! + r * Int(f), f, &o, $0.baseAddress! + r * Int(f)) }
                    }
                }
                // Every path: the gathered patches through the GEMM.
                var gathered = [UInt8](repeating: 0, count: Int(m * wide))
                pith_q8_gather_patches(padded, wp, c, stride, oh, ow, offsets, wide / 4, &gathered)
                for path in paths {
                    var got = [UInt8](repeating: 0, count: Int(m * f))
                    pith_q8_gemm_u8(gathered, Int(wide), m, &packed, &o, &got, Int(f), path)
                    XCTAssertEqual(got, expected, "gathered, path \(path.rawValue), \(label)")
                }
                // AVX-512 VNNI reads the patches in place; other paths decline.
                for path in paths {
                    var got = [UInt8](repeating: 0, count: Int(m * f))
                    let ran = pith_q8_conv_u8(padded, wp, c, stride, oh, ow, offsets, kw * c / 4, &packed, &o, &got, Int(f), path)
                    XCTAssertEqual(ran, path == PITH_Q8_AVX512VNNI ? 1 : 0, "path \(path.rawValue)")
                    if ran != 0 { XCTAssertEqual(got, expected, "in place, \(label)") }
                }
            } } }
        }
    }
}

/// Channels-last max pooling against its definition, the 2×2 / stride 2 fast loop and the
/// general one.
final class PoolTests: XCTestCase {
    func testChannelsLastMaxPoolMatchesTheDefinition() {
        var rng = Q8GemmTests.Rng(s: 41)
        for (c, h, w, k, stride): (Int32, Int32, Int32, Int32, Int32) in [(32, 28, 28, 2, 2), (8, 14, 14, 2, 2), (3, 7, 9, 2, 2),
                                                                           (5, 9, 9, 3, 2), (1, 4, 6, 2, 1), (17, 5, 5, 3, 3)] {
            let oh = (h - k) / stride + 1, ow = (w - k) / stride + 1
            let x = (0 ..< Int(c * h * w)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var y = [UInt8](repeating: 0, count: Int(c * oh * ow))
            pith_maxpool_nhwc_u8(x, c, h, w, k, stride, oh, ow, &y)
            var want = [UInt8](repeating: 0, count: y.count)
            for oy in 0 ..< oh {
                for ox in 0 ..< ow {
                    for ch in 0 ..< c {
                        var m: UInt8 = 0
                        for ky in 0 ..< k { for kx in 0 ..< k { m = max(m, x[Int(((oy * stride + ky) * w + ox * stride + kx) * c + ch)]) } }
                        want[Int((oy * ow + ox) * c + ch)] = m
                    }
                }
            }
            XCTAssertEqual(y, want, "C \(c) \(h)×\(w) k \(k) stride \(stride)")
        }
    }
}

/// Transposes (the flatten of a channels-last value) against their definition.
final class TransposeTests: XCTestCase {
    func testTransposesMatchTheDefinition() {
        var rng = Q8GemmTests.Rng(s: 51)
        for (rows, cols): (Int32, Int32) in [(49, 64), (196, 16), (1, 1), (7, 3), (8, 8), (17, 5), (3, 130), (64, 1), (9, 33)] {
            let x = (0 ..< Int(rows * cols)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var y = [UInt8](repeating: 0, count: x.count)
            pith_transpose_u8(x, rows, cols, &y)
            let f = x.map { Float($0) - 100 }
            var g = [Float](repeating: 0, count: x.count)
            pith_transpose_f32(f, rows, cols, &g)
            for r in 0 ..< Int(rows) {
                for c in 0 ..< Int(cols) {
                    XCTAssertEqual(y[c * Int(rows) + r], x[r * Int(cols) + c], "u8 \(rows)×\(cols) at (\(r), \(c))")
                    XCTAssertEqual(g[c * Int(rows) + r], f[r * Int(cols) + c], "f32 \(rows)×\(cols) at (\(r), \(c))")
                }
            }
        }
    }
}
