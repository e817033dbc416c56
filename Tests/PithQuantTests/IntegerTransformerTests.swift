import CPithRuntimeKernels
import Foundation
import PithFormat
import PithNN
@testable import PithQuant
import PithRuntime
import PithTensor
import XCTest

/// The integer Transformer (docs/quantization.md, "Integer Transformer"): the runtime's C
/// kernels and the quantizer's Swift simulation agree bit for bit on MNIST test images
/// where MNIST is here (attn-student, attn-teacher) and on the built-in digits otherwise,
/// and the two sides build the same exp tables and the same fixed-point ratios.
final class IntegerTransformerTests: XCTestCase {
    func testTheKernelsExpTableAndRatiosAreTheSimulations() {
        func table(_ t: (Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16,
                         Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16, Int16)) -> [Int64] {
            withUnsafeBytes(of: t) { Array($0.bindMemory(to: Int16.self)).map(Int64.init) }
        }
        XCTAssertEqual(table(pith_q_exp_high), IntegerSimulation.expHigh)
        XCTAssertEqual(table(pith_q_exp_mid), IntegerSimulation.expMid)
        XCTAssertEqual(table(pith_q_exp_low), IntegerSimulation.expLow)
        // The three tables' product is exp(−w/1024) to 4 units of 2^-15 over the whole range.
        for w in stride(from: Int64(0), through: 16383, by: 7) {
            XCTAssertEqual(Double(IntegerSimulation.expQ15(w)), 32767 * Foundation.exp(-Double(w) / 1024), accuracy: 4, "exp(−\(w)/1024)")
        }
        var rng = PithRandom(seed: 9)
        for _ in 0..<2000 {
            let r = Double(Foundation.exp(Double(rng.nextFloat()) * 43 - 30))
            let c = pith_q_ratio_make(r), s = IntegerSimulation.Ratio(r)
            XCTAssertEqual(c.mult, s.mult, "mult of \(r)")
            XCTAssertEqual(Int64(c.shift), s.shift, "shift of \(r)")
            let x = Int64(rng.nextFloat() * 4e6) - 2_000_000
            XCTAssertEqual(pith_q_ratio_apply(x, c), s.apply(x))
            // The ratio is r to 2^-29 relative (where r is not tiny).
            if r > 1e-9 { XCTAssertEqual(Double(c.mult) / pow(2, Double(c.shift)), r, accuracy: r * 4e-9) }
        }
        XCTAssertEqual(pith_q_ratio_make(1_048_576).mult, 0, "2^20 and above are refused")
        for v: Int64 in [0, 1, 2, 3, 4, 15, 16, 17, 1 << 40, (1 << 40) - 1, (1 << 61) + 12345] {
            let r = pith_q_isqrt(v)
            XCTAssertTrue(r * r <= v && (r + 1) * (r + 1) > v, "isqrt(\(v)) = \(r)")
            XCTAssertEqual(r, IntegerSimulation.isqrt(v))
        }
    }

    func testRuntimeEqualsTheSimulationOnTransformers() throws {
        let (splits, models) = try IntegerSimulationTests.workloads(
            ["attn-student", "attn-teacher"], digitsNames: ["attn-digits"],
            inline: ["attn-digits": "name attn-digits\ninput 8 8\ndense 16\nposition\ntransformer-block heads 2 ff 32\nmean-tokens\nlayernorm\ndense 10\n"])
        #if DEBUG
        let count = 20
        #else
        let count = 200
        #endif
        // At initialisation and with every weight ×3 (sharper attention, wider residuals).
        try IntegerSimulationTests.assertRuntimeEqualsTheSimulation(models, splits, count: count, gains: [1, 3])
    }
}
