import CPithRuntimeKernels
import XCTest

/// The integer LSTM's fast path (pith_q_lstm_run: chunked GEMMs on every int8 GEMM path
/// this CPU runs, the AVX-512 or the scalar cell update) against its reference
/// (pith_q_lstm_reference), bit for bit: odd sizes and rnn-teacher's (H 128), batches across
/// the chunk size, every cell shift, left-shifting multipliers, saturated gates and cells, and gate sums that
/// overflow int32.
final class QLSTMKernelTests: XCTestCase {
    typealias Rng = Q8GemmTests.Rng

    /// One random LSTM's parameters, owned until `free`.
    struct Case {
        var p: pith_q_lstm
        var blocks: [UnsafeMutableRawPointer] = []

        init(steps: Int32, features: Int32, hidden: Int32, rng: inout Rng, bias: Bool, leftShifts: Bool, hugeBias: Bool) {
            let rows = Int(4 * hidden)
            var blocks: [UnsafeMutableRawPointer] = []
            func ints(_ n: Int, _ f: (Int) -> Int32) -> UnsafeMutablePointer<Int32> {
                let q = UnsafeMutableRawPointer.allocate(byteCount: max(4 * n, 64), alignment: 64)
                blocks.append(q)
                let t = q.bindMemory(to: Int32.self, capacity: n)
                for i in 0 ..< n { t[i] = f(i) }
                return t
            }
            func bytes(_ n: Int) -> UnsafeMutablePointer<Int8> {
                let q = UnsafeMutableRawPointer.allocate(byteCount: max(n, 64), alignment: 64)
                blocks.append(q)
                let t = q.bindMemory(to: Int8.self, capacity: n)
                for i in 0 ..< n { t[i] = Int8(truncatingIfNeeded: rng.next()) }
                return t
            }
            func packed(_ w: UnsafeMutablePointer<Int8>, _ n: Int32, _ k: Int32) -> UnsafeMutablePointer<pith_q8_packed> {
                let q = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<pith_q8_packed>.stride, alignment: 64)
                let data = UnsafeMutableRawPointer.allocate(byteCount: max(Int(pith_q8_packed_bytes(k, n)), 64), alignment: 64)
                blocks += [q, data]
                let s = q.bindMemory(to: pith_q8_packed.self, capacity: 1)
                s.initialize(to: pith_q8_packed(K: k, N: n, K4: 0, NP: 0, data: data.assumingMemoryBound(to: Int8.self),
                                                colsum: ints(Int(n)) { _ in 0 }))
                pith_q8_pack(w, n, k, s)
                return s
            }
            let w = bytes(rows * Int(features)), u = bytes(rows * Int(hidden))
            // Multipliers as pith_q8_quantize_multiplier gives them: [2³⁰, 2³¹), shifts
            // mostly right (−14 ... 0), with leftShifts some rows up to +3.
            var g = rng
            func mult(_: Int) -> Int32 { Int32(1 << 30) + Int32(truncatingIfNeeded: g.next() % (1 << 30)) }
            func shift(_: Int) -> Int32 { Int32(truncatingIfNeeded: g.next() % (leftShifts ? 18 : 15)) - 14 }
            let reach = Int64(features) * 255 * 128
            let b = bias ? ints(rows) { _ in
                hugeBias ? Int32(Int64(Int32.max) - reach - Int64(g.next() % 1000)) * (g.next() % 2 == 0 ? 1 : -1)
                    : Int32(truncatingIfNeeded: Int64(g.next() % 400_001) - 200_000)
            } : nil
            // hugeBias: multipliers within 16 of 2³¹ and no shift, MBQM(v) ≈ v.
            func nearOne(_: Int) -> Int32 { Int32.max - Int32(truncatingIfNeeded: g.next() % 16) }
            let xm = ints(rows, hugeBias ? nearOne : mult), xs = ints(rows, hugeBias ? { _ in 0 } : shift)
            let hm = ints(rows, hugeBias ? nearOne : mult), hs = ints(rows, hugeBias ? { _ in 0 } : shift)
            rng = g
            p = pith_q_lstm(steps: steps, features: features, hidden: hidden, w: w, u: u, bias: b,
                            x_mult: xm, x_shift: xs, h_mult: hm, h_shift: hs,
                            out_mult: mult(0), out_shift: Int32(truncatingIfNeeded: g.next() % 8) - 28,
                            x_zero: hugeBias ? 0 : Int32(g.next() % 256), h_zero: Int32(g.next() % 256),
                            cell_shift: Int32(g.next() % 16), sequence: Int32(g.next() % 2),
                            w_packed: nil, u_packed: nil)
            p.w_packed = UnsafePointer(packed(w, Int32(rows), features))
            p.u_packed = UnsafePointer(packed(u, Int32(rows), hidden))
            self.blocks = blocks
        }

        func free() { for b in blocks { b.deallocate() } }
    }

    static let paths: [pith_q8_path] = [PITH_Q8_AUTO] + Q8GemmTests.paths

    func check(_ c: Case, batch: Int32, rng: inout Rng, file: StaticString = #filePath, line: UInt = #line) {
        let p = c.p
        let inputs = Int(batch * p.steps * p.features), outputs = Int(batch * (p.sequence == 1 ? p.steps : 1) * p.hidden)
        let x = (0 ..< inputs).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let bytes = max(pith_q_lstm_scratch_bytes(p.hidden), pith_q_lstm_run_scratch_bytes(p.hidden))
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { scratch.deallocate() }
        var expected = [UInt8](repeating: 0, count: outputs)
        withUnsafePointer(to: p) { pith_q_lstm_reference($0, x, &expected, batch, scratch) }
        for path in Self.paths where path == PITH_Q8_AUTO || pith_q8_path_supported(path) != 0 {
            var got = [UInt8](repeating: 0xA5, count: outputs)
            withUnsafePointer(to: p) { pith_q_lstm_run($0, x, &got, batch, scratch, path) }
            let differing = zip(got, expected).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "path \(path.rawValue), T \(p.steps) F \(p.features) H \(p.hidden) batch \(batch) cell_shift \(p.cell_shift)"
                           + " sequence \(p.sequence): \(differing) of \(outputs) outputs differ", file: file, line: line)
        }
    }

    func testTheFastPathEqualsTheReference() {
        var rng = Rng(s: 21)
        let shapes: [(Int32, Int32, Int32)] = [(1, 1, 1), (28, 28, 16), (5, 3, 17), (7, 13, 31), (3, 64, 130), (4, 9, 5), (2, 1, 64), (5, 28, 128)]
        for (t, f, h) in shapes {
            for (bias, left) in [(true, false), (false, false), (true, true)] {
                let c = Case(steps: t, features: f, hidden: h, rng: &rng, bias: bias, leftShifts: left, hugeBias: false)
                defer { c.free() }
                for batch: Int32 in [1, 2, 3, 16, 17, 37] { check(c, batch: batch, rng: &rng) }
            }
        }
    }

    /// Biases within F·255·128 of ±2³¹ (x_zero 0) and multipliers near 1: MBQM(ax) + MBQM(ah)
    /// passes int32's range,
    /// and the fast path must saturate the exact sum as the reference does.
    func testGateSumsPastInt32Saturate() {
        var rng = Rng(s: 22)
        for h: Int32 in [16, 40, 64] {
            let c = Case(steps: 6, features: 1, hidden: h, rng: &rng, bias: true, leftShifts: false, hugeBias: true)
            defer { c.free() }
            for batch: Int32 in [1, 18] { check(c, batch: batch, rng: &rng) }
        }
    }
}
