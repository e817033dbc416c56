import CPithKernels
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
