import CPithRuntimeKernels
import Foundation
import XCTest

/// The integer Transformer's fast paths (pith_q_transformer.h: the AVX-512 VNNI attention
/// kernel, the AVX-512 and AVX2 twins of the portable bodies) against the portable references, bit
/// for bit: odd token counts and head widths (not multiples of 2 or 16), every zero point,
/// scores that saturate the exp table and scores that barely move it, constant rows.
final class QTransformerKernelTests: XCTestCase {
    typealias Rng = Q8GemmTests.Rng

    func bytes(_ n: Int, _ rng: inout Rng, range: UInt64 = 256) -> [UInt8] { (0 ..< n).map { _ in UInt8(rng.next() % range) } }

    func testAttentionFastPathEqualsTheReference() {
        var rng = Rng(s: 21)
        for (t, heads, dh) in [(1, 1, 1), (2, 1, 3), (5, 2, 12), (16, 4, 16), (17, 3, 17), (28, 4, 16), (28, 2, 12), (33, 1, 32), (40, 2, 5)] {
            let d = heads * dh, batch = 2
            for trial in 0 ..< 4 {
                let q = bytes(batch * t * d, &rng), k = bytes(batch * t * d, &rng), v = bytes(batch * t * d, &rng)
                // Score multipliers from ~e^-12 (flat softmax) to ~e^4 (every key but the
                // largest below the table's −16).
                let score = Foundation.exp(Double(rng.next() % 1600) / 100 - 12)
                let out = Foundation.exp(Double(rng.next() % 800) / 100 - 10)
                var p = pith_q_attention(T: Int32(t), D: Int32(d), heads: Int32(heads), q_zero: Int32(rng.next() % 256), k_zero: Int32(rng.next() % 256),
                                         v_zero: Int32(rng.next() % 256), score: pith_q_ratio_make(score), out: pith_q_ratio_make(out),
                                         out_zero: Int32(rng.next() % 256))
                let scratch = UnsafeMutableRawPointer.allocate(byteCount: pith_q_attention_scratch_bytes(Int32(t), Int32(d), Int32(heads)), alignment: 64)
                defer { scratch.deallocate() }
                var fast = [UInt8](repeating: 0, count: batch * t * d), reference = fast, avx2 = fast
                pith_q_attention_u8(&p, q, k, v, batch, &fast, scratch)
                pith_q_attention_u8_avx2(&p, q, k, v, batch, &avx2, scratch)
                pith_q_attention_u8_reference(&p, q, k, v, batch, &reference, scratch)
                XCTAssertEqual(fast, reference, "T \(t), \(heads) heads of \(dh), trial \(trial)")
                XCTAssertEqual(avx2, reference, "AVX2: T \(t), \(heads) heads of \(dh), trial \(trial)")
                if trial == 0 && t > 1 { XCTAssertGreaterThan(Set(reference).count, 1, "T \(t): a constant output proves little") }
            }
        }
    }

    func testLookupFastPathEqualsTheReference() {
        var rng = Rng(s: 23)
        let table = bytes(256, &rng)
        for n in [1, 63, 64, 65, 200, 4096] {
            let x = bytes(n, &rng)
            var fast = [UInt8](repeating: 0, count: n), reference = fast
            pith_q_lookup_u8(x, n, table, &fast)
            pith_q_lookup_u8_reference(x, n, table, &reference)
            XCTAssertEqual(fast, reference, "lookup of \(n)")
            XCTAssertEqual(reference, x.map { table[Int($0)] })
        }
    }

    func testLayerNormAndAddFastPathsEqualTheReferences() {
        var rng = Rng(s: 22)
        for d in [1, 3, 16, 64, 100, 4099] {
            let rows = 6
            var x = bytes(rows * d, &rng)
            for i in 0 ..< d { x[i] = 77 }  // a constant row: V = 0
            let gain = (0 ..< d).map { _ in Int32(truncatingIfNeeded: Int64(rng.next() % (1 << 22)) - (1 << 21)) }
            let offset = (0 ..< d).map { _ in Int64(rng.next() % (1 << 40)) - (1 << 39) + (100 << 31) }
            for eps: Int64 in [0, 1, 12_345, 1 << 40, 1 << 50] {
                var fast = [UInt8](repeating: 0, count: rows * d), reference = fast, avx2 = fast
                gain.withUnsafeBufferPointer { g in
                    offset.withUnsafeBufferPointer { o in
                        var p = pith_q_layernorm(D: Int32(d), eps: eps, gain: g.baseAddress, offset: o.baseAddress)
                        pith_q_layernorm_u8(&p, x, rows, &fast)
                        pith_q_layernorm_u8_avx2(&p, x, rows, &avx2)
                        pith_q_layernorm_u8_reference(&p, x, rows, &reference)
                    }
                }
                XCTAssertEqual(fast, reference, "D \(d), eps \(eps)")
                XCTAssertEqual(avx2, reference, "AVX2: D \(d), eps \(eps)")
            }
        }
        for n in [1, 15, 64, 1000] {
            let a = bytes(n, &rng), b = bytes(n, &rng)
            let ra = Foundation.exp(Double(rng.next() % 600) / 100 - 3), rb = Foundation.exp(Double(rng.next() % 600) / 100 - 3)
            let shift = pith_q_ratio_make(max(ra, rb)).shift
            var p = pith_q_add(a_zero: Int32(rng.next() % 256), b_zero: Int32(rng.next() % 256), out_zero: Int32(rng.next() % 256),
                               a_mult: Int64((ra * pow(2, Double(shift))).rounded()), b_mult: Int64((rb * pow(2, Double(shift))).rounded()), shift: shift)
            var fast = [UInt8](repeating: 0, count: n), reference = fast, avx2 = fast
            pith_q_add_u8(&p, a, b, n, &fast)
            pith_q_add_u8_avx2(&p, a, b, n, &avx2)
            pith_q_add_u8_reference(&p, a, b, n, &reference)
            XCTAssertEqual(fast, reference, "Add of \(n)")
            XCTAssertEqual(avx2, reference, "AVX2: add of \(n)")
        }
    }
}
