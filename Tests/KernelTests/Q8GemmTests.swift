import CPithRuntimeKernels
import XCTest

/// The int8 GEMM: every path this CPU runs, bit-identical to the reference on odd, prime
/// and extreme inputs; requantization against its definition.
final class Q8GemmTests: XCTestCase {
    struct Rng {
        var s: UInt64
        mutating func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let paths: [pith_q8_path] = [PITH_Q8_REFERENCE, PITH_Q8_AVX2, PITH_Q8_AVXVNNI, PITH_Q8_AVX512VNNI, PITH_Q8_NEON, PITH_Q8_DSP]
    var supported: [pith_q8_path] { Self.paths.filter { pith_q8_path_supported($0) != 0 } }

    /// Packs W and runs `body` with the packed struct (storage kept alive).
    func withPacked<R>(_ w: [Int8], n: Int32, k: Int32, _ body: (inout pith_q8_packed) -> R) -> R {
        let bytes = pith_q8_packed_bytes(k, n)
        let data = UnsafeMutableRawPointer.allocate(byteCount: max(Int(bytes), 64), alignment: 64)
        let colsum = UnsafeMutablePointer<Int32>.allocate(capacity: Int(max(n, 1)))
        defer { data.deallocate(); colsum.deallocate() }
        var p = pith_q8_packed(K: k, N: n, K4: 0, NP: 0, data: data.assumingMemoryBound(to: Int8.self), colsum: colsum)
        w.withUnsafeBufferPointer { pith_q8_pack($0.baseAddress, n, k, &p) }
        return body(&p)
    }

    func check(m: Int32, n: Int32, k: Int32, a: [UInt8], w: [Int8], bias: [Int32]?, za: Int32, file: StaticString = #filePath, line: UInt = #line) {
        var expected = [Int32](repeating: 0, count: Int(m * n))
        bias.withOptionalPointer { b in
            pith_q8_gemm_reference(a, Int(k), m, w, n, k, b, za, &expected, Int(n))
        }
        withPacked(w, n: n, k: k) { packed in
            for path in supported {
                var got = [Int32](repeating: -1, count: Int(m * n))
                bias.withOptionalPointer { b in pith_q8_gemm_s32(a, Int(k), m, &packed, b, za, &got, Int(n), path) }
                XCTAssertEqual(got, expected, "path \(path.rawValue) m \(m) n \(n) k \(k)", file: file, line: line)
                // The columns' starts computed once and given.
                var start = [Int32](repeating: 0, count: Int(n)), given = [Int32](repeating: -1, count: Int(m * n))
                bias.withOptionalPointer { b in pith_q8_gemm_start(&packed, b, za, &start) }
                pith_q8_gemm_s32_start(a, Int(k), m, &packed, start, &given, Int(n), path)
                XCTAssertEqual(given, expected, "path \(path.rawValue) with starts, m \(m) n \(n) k \(k)", file: file, line: line)
            }
        }
    }

    func testEveryPathMatchesTheReferenceOnOddAndPrimeShapes() {
        var rng = Rng(s: 1)
        let shapes: [(Int32, Int32, Int32)] = [(1, 1, 1), (1, 10, 784), (7, 13, 31), (6, 64, 64), (13, 67, 101),
                                               (1, 1200, 1200), (3, 17, 3), (12, 130, 9), (5, 16, 4), (2, 97, 257)]
        for (m, n, k) in shapes {
            let a = (0 ..< Int(m * k)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let w = (0 ..< Int(n * k)).map { _ in Int8(truncatingIfNeeded: rng.next()) }
            let bias = (0 ..< Int(n)).map { _ in Int32(truncatingIfNeeded: rng.next() % 20001) - 10000 }
            check(m: m, n: n, k: k, a: a, w: w, bias: bias, za: Int32(rng.next() % 256))
            check(m: m, n: n, k: k, a: a, w: w, bias: nil, za: 0)
        }
    }

    /// Inputs full of zeros (image borders, ReLU outputs): the AVX-512 path sums only the
    /// groups of 4 k that are not zero in some row of a tile; every path must still agree
    /// with the reference, whatever the zero pattern and the zero point.
    func testZeroSkippingMatchesTheReference() {
        var rng = Rng(s: 5)
        let shapes: [(Int32, Int32, Int32)] = [(1, 64, 784), (6, 64, 784), (7, 70, 128), (13, 33, 1031), (256, 10, 64),
                                               (19, 130, 800), (2, 16, 4096), (5, 48, 9000), (1, 130, 784), (3, 200, 512)]
        for (trial, (m, n, k)) in shapes.enumerated() {
            // Zero runs of random length, dense stretches between; some rows all zero.
            var a = [UInt8](repeating: 0, count: Int(m * k))
            for r in 0 ..< Int(m) where r % 5 != 3 {
                var i = 0
                while i < Int(k) {
                    let run = Int(rng.next() % 40), dense = Int(rng.next() % 12)
                    i += run
                    if i >= Int(k) { break }
                    for j in i ..< min(i + dense, Int(k)) { a[r * Int(k) + j] = UInt8(truncatingIfNeeded: rng.next() | 1) }
                    i += dense
                }
            }
            let w = (0 ..< Int(n * k)).map { _ in Int8(truncatingIfNeeded: rng.next()) }
            let bias = (0 ..< Int(n)).map { _ in Int32(truncatingIfNeeded: rng.next() % 20001) - 10000 }
            check(m: m, n: n, k: k, a: a, w: w, bias: bias, za: trial % 2 == 0 ? 0 : Int32(rng.next() % 256))
        }
    }

    func testExtremeValuesDoNotSaturateAnyPath() {
        // 255 × −128 and 255 × 127 on every product: where vpmaddubsw would saturate.
        for (av, wv) in [(UInt8(255), Int8(-128)), (255, 127), (0, -128), (128, -128)] {
            let m: Int32 = 7, n: Int32 = 33, k: Int32 = 1031
            check(m: m, n: n, k: k, a: [UInt8](repeating: av, count: Int(m * k)),
                  w: [Int8](repeating: wv, count: Int(n * k)), bias: nil, za: 0)
            check(m: m, n: n, k: k, a: [UInt8](repeating: av, count: Int(m * k)),
                  w: [Int8](repeating: wv, count: Int(n * k)), bias: nil, za: 255)
        }
    }

    /// uint8 output (on AVX-512 VNNI requantized inside the microkernel) against the
    /// reference GEMM and reference epilogue: every tile height and panel count, partial
    /// panels, few channels, extreme accumulators, and left shifts (which take the
    /// stand-alone epilogue).
    func testRequantizedOutputMatchesTheReferenceEpilogue() {
        var rng = Rng(s: 9)
        let shapes: [(Int32, Int32, Int32)] = [(9, 70, 45), (1, 1, 1), (6, 64, 64), (7, 8, 9), (13, 5, 28), (2, 130, 300),
                                               (5, 48, 17), (11, 33, 1031), (1, 1200, 784), (4, 16, 4),
                                               (23, 70, 40), (17, 37, 12), (6, 64, 100)]
        for (trial, (m, n, k)) in shapes.enumerated() {
            // extreme: 255 × −128 everywhere; small: accumulators of a few hundred and
            // multipliers near 1, where each rounding step shows in the result.
            let extreme = trial == 7, small = trial >= 10
            let a = (0 ..< Int(m * k)).map { _ in extreme ? UInt8(255) : small ? UInt8(rng.next() % 4) : UInt8(truncatingIfNeeded: rng.next()) }
            let w = (0 ..< Int(n * k)).map { _ in extreme ? Int8(-128) : small ? Int8(Int(rng.next() % 7) - 3) : Int8(truncatingIfNeeded: rng.next()) }
            let bias = (0 ..< Int(n)).map { _ in Int32(truncatingIfNeeded: rng.next() % 2001) - 1000 }
            var mult = [Int32](repeating: 0, count: Int(n)), shift = [Int32](repeating: 0, count: Int(n))
            for j in 0 ..< Int(n) {
                let real = small ? Double(rng.next() % 1000 + 1) / 1000 * pow(2, -Double(rng.next() % 4))
                    : Double(rng.next() % 1000 + 1) * (extreme ? 1e-9 : 1e-6) * pow(2, -Double(rng.next() % 8))
                pith_q8_quantize_multiplier(real, &mult[j], &shift[j])
            }
            if trial == 3 { shift[Int(n) - 1] = 1 }  // a left shift: the stand-alone epilogue
            let za = small ? Int32(rng.next() % 4) : Int32(rng.next() % 256), zero = small ? 128 : Int32(rng.next() % 256)
            let lo = trial % 2 == 0 ? zero : 0
            var acc = [Int32](repeating: 0, count: Int(m * n))
            pith_q8_gemm_reference(a, Int(k), m, w, n, k, bias, za, &acc, Int(n))
            bias.withUnsafeBufferPointer { b in mult.withUnsafeBufferPointer { mu in shift.withUnsafeBufferPointer { sh in
                var o = pith_q8_output(a_zero: za, bias: b.baseAddress, mult: mu.baseAddress, shift: sh.baseAddress,
                                       out_zero: zero, out_min: lo, out_max: 255)
                var expected = [UInt8](repeating: 0, count: Int(m * n))
                for r in 0 ..< Int(m) {
                    acc.withUnsafeBufferPointer { x in
                        expected.withUnsafeMutableBufferPointer { pith_q8_requantize_reference(x.baseAddress! + r * Int(n), n, &o, $0.baseAddress! + r * Int(n)) }
                    }
                }
                withPacked(w, n: n, k: k) { packed in
                    for path in supported {
                        // Output rows wider than n: the bytes between must stay untouched.
                        let ldo = Int(n) + 3
                        var got = [UInt8](repeating: 0xA5, count: Int(m) * ldo)
                        pith_q8_gemm_u8(a, Int(k), m, &packed, &o, &got, ldo, path)
                        for r in 0 ..< Int(m) {
                            XCTAssertEqual(Array(got[(r * ldo) ..< (r * ldo + Int(n))]), Array(expected[(r * Int(n)) ..< ((r + 1) * Int(n))]),
                                           "path \(path.rawValue) m \(m) n \(n) k \(k) row \(r)")
                            XCTAssertEqual(Array(got[(r * ldo + Int(n)) ..< ((r + 1) * ldo)]), [0xA5, 0xA5, 0xA5])
                        }
                    }
                }
            } } }
        }
    }

    func testFixedPointMultiplierAgreesWithExactArithmetic() {
        // x · m rounded half away from zero, for m = mult·2^shift/2³¹, against 128-bit-exact
        // rational arithmetic in Double where it is exact (|x| < 2²¹, m's mantissa 31 bits).
        var rng = Rng(s: 3)
        for _ in 0 ..< 20000 {
            let real = Double(rng.next() % 1_000_000 + 1) / 1_000_000 * pow(2, -Double(rng.next() % 12))
            var mult: Int32 = 0, shift: Int32 = 0
            pith_q8_quantize_multiplier(real, &mult, &shift)
            XCTAssertGreaterThanOrEqual(mult, 1 << 30)
            XCTAssertEqual(Double(mult) * pow(2, Double(shift) - 31), real, accuracy: real * 1e-9)
            let x = Int32(truncatingIfNeeded: rng.next() % (1 << 21)) - (1 << 20)
            let got = pith_q8_multiply_by_quantized_multiplier(x, mult, shift)
            // gemmlowp rounds twice (high mul, then the shift): it may differ from the
            // single exact rounding by one, never more.
            let exact = (Double(x) * Double(mult) * pow(2, Double(shift) - 31)).rounded(.toNearestOrAwayFromZero)
            XCTAssertLessThanOrEqual(abs(Double(got) - exact), 1, "x \(x) m \(real)")
        }
        XCTAssertEqual(pith_q8_multiply_by_quantized_multiplier(Int32.min, Int32.min, 0), Int32.max)
        XCTAssertEqual(pith_q8_multiply_by_quantized_multiplier(100, 1 << 30, 0), 50)   // × 0.5
        XCTAssertEqual(pith_q8_multiply_by_quantized_multiplier(3, 1 << 30, 0), 2)      // 1.5 → 2
        // gemmlowp's high multiply breaks a negative tie toward zero (its nudge is
        // 1 − 2³⁰): −1.5 → −1. TFLite and ONNX Runtime's reference kernels do the same.
        XCTAssertEqual(pith_q8_multiply_by_quantized_multiplier(-3, 1 << 30, 0), -1)
        XCTAssertEqual(pith_q8_multiply_by_quantized_multiplier(3, 1 << 30, -1), 1)     // 0.75 → 1
        XCTAssertEqual(pith_q8_multiply_by_quantized_multiplier(5, 1 << 30, -2), 1)     // 0.625 → 1
    }

    /// The paths the kernels say this CPU supports are the ones /proc/cpuinfo's flags say it
    /// has (a detection that missed or invented an instruction set fails), and the choice is
    /// the first of them in the order AVX-512 VNNI, AVX-VNNI, AVX2, NEON — never the scalar
    /// reference where a vector path exists — unless PITH_Q8_PATH says otherwise.
    func testThisMachineRunsItsBestPath() throws {
        let environment = ProcessInfo.processInfo.environment
        #if arch(x86_64)
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(flags.contains)
        let expected: [(pith_q8_path, Bool)] = [
            (PITH_Q8_AVX512VNNI, avx512 && flags.contains("avx512_vnni")),
            (PITH_Q8_AVXVNNI, flags.contains("avx_vnni") && flags.contains("avx2")),
            (PITH_Q8_AVX2, flags.contains("avx2")),
            (PITH_Q8_NEON, false),
            (PITH_Q8_DSP, false),
        ]
        for (path, has) in expected {
            XCTAssertEqual(pith_q8_path_supported(path) != 0, has, "path \(path.rawValue): the kernels and /proc/cpuinfo disagree")
        }
        if environment["PITH_Q8_PATH"] == nil {
            let best = expected.first { $0.1 }?.0 ?? PITH_Q8_REFERENCE
            XCTAssertEqual(pith_q8_best_path(), best)
        }
        #endif
        XCTAssertNotEqual(pith_q8_path_supported(PITH_Q8_REFERENCE), 0, "the reference runs everywhere")
        XCTAssertGreaterThan(supported.count, 0)
    }
}

extension Optional where Wrapped == [Int32] {
    func withOptionalPointer<R>(_ body: (UnsafePointer<Int32>?) -> R) -> R {
        switch self {
        case .none: return body(nil)
        case let .some(array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        }
    }
}

final class RequantizeTests: XCTestCase {
    /// The AVX-512 requantization against the scalar reference on random and extreme
    /// accumulators, multipliers and shifts (including left shifts and INT32_MIN).
    func testVectorRequantizationIsBitExact() throws {
        try XCTSkipUnless(pith_q8_requantize_uses_avx512() != 0, "no AVX-512 here")
        var rng = Q8GemmTests.Rng(s: 21)
        for round in 0..<200 {
            let n = Int32(1 + rng.next() % 70)
            var acc = (0..<Int(n)).map { _ in Int32(truncatingIfNeeded: rng.next()) >> Int32(rng.next() % 24) }
            var mult = (0..<Int(n)).map { _ in Int32(1 << 30) + Int32(truncatingIfNeeded: rng.next() % (1 << 30)) }
            var shift = (0..<Int(n)).map { _ in -Int32(rng.next() % 32) }
            if round % 10 == 0 { shift[0] = Int32(rng.next() % 3) }        // a left shift: the fallback
            if round % 7 == 0 { acc[Int(n) - 1] = Int32.min; mult[Int(n) - 1] = Int32.min }
            if round % 5 == 0 { acc[0] = Int32.max }
            let zero = Int32(rng.next() % 256), lo = Int32(rng.next() % 2) == 0 ? 0 : zero
            mult.withUnsafeBufferPointer { m in shift.withUnsafeBufferPointer { s in
                var o = pith_q8_output(a_zero: 0, bias: nil, mult: m.baseAddress, shift: s.baseAddress, out_zero: zero, out_min: lo, out_max: 255)
                var reference = [UInt8](repeating: 0, count: Int(n)), fast = [UInt8](repeating: 1, count: Int(n))
                pith_q8_requantize_reference(acc, n, &o, &reference)
                pith_q8_requantize(acc, n, &o, &fast)
                XCTAssertEqual(fast, reference, "round \(round)")
                // Several rows at once (two per register when there are ≤ 8 channels).
                let rows: Int32 = 5, width = min(n, 8)
                var block = [Int32](repeating: 0, count: Int(rows) * 16)
                for i in block.indices { block[i] = acc[i % Int(n)] &+ Int32(i) }
                var rowsReference = [UInt8](repeating: 0, count: Int(rows) * 20), rowsFast = [UInt8](repeating: 7, count: Int(rows) * 20)
                for r in 0..<Int(rows) {
                    block.withUnsafeBufferPointer { b in rowsReference.withUnsafeMutableBufferPointer { out in
                        pith_q8_requantize_reference(b.baseAddress! + r * 16, width, &o, out.baseAddress! + r * 20)
                    } }
                    for c in Int(width)..<20 { rowsReference[r * 20 + c] = 7 }
                }
                pith_q8_requantize_rows(block, rows, width, 16, &o, &rowsFast, 20)
                XCTAssertEqual(rowsFast, rowsReference, "rows, round \(round)")
            } }
        }
    }
}
