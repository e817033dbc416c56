import Foundation
import PithTensor
import XCTest

/// The sequence ops: each backward rule against finite differences, and each forward
/// against a direct, step-by-step evaluation of its definition.
final class SequenceOpTests: XCTestCase {
    func testLSTMGradients() {
        for sequence in [false, true] {
            checkGradients([randomTensor([2, 4, 3], seed: 40), randomTensor([12, 3], seed: 41, scale: 0.5),
                            randomTensor([12, 3], seed: 42, scale: 0.5), randomTensor([12], seed: 43, scale: 0.5)]) {
                lstm($0[0], inputWeight: $0[1], recurrentWeight: $0[2], bias: $0[3], returnSequence: sequence)
            }
        }
    }

    func testLSTMMatchesTheCellEquations() {
        let (b, t, f, h) = (3, 5, 4, 6)
        let x = randomTensor([b, t, f], seed: 44), w = randomTensor([4 * h, f], seed: 45, scale: 0.4)
        let u = randomTensor([4 * h, h], seed: 46, scale: 0.4), bias = randomTensor([4 * h], seed: 47, scale: 0.4)
        let y = lstm(x, inputWeight: w, recurrentWeight: u, bias: bias, returnSequence: true)
        let last = lstm(x, inputWeight: w, recurrentWeight: u, bias: bias, returnSequence: false)
        XCTAssertEqual(y.shape, [b, t, h])
        XCTAssertEqual(last.shape, [b, h])
        func sig(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        for s in 0..<b {
            var hp = [Double](repeating: 0, count: h), cp = hp
            for step in 0..<t {
                var z = (0..<4 * h).map { Double(bias[$0]) }
                for r in 0..<4 * h {
                    for k in 0..<f { z[r] += Double(w[r * f + k]) * Double(x[(s * t + step) * f + k]) }
                    for k in 0..<h { z[r] += Double(u[r * h + k]) * hp[k] }
                }
                for j in 0..<h {
                    let c = sig(z[h + j]) * cp[j] + sig(z[j]) * Foundation.tanh(z[2 * h + j])
                    cp[j] = c
                    hp[j] = sig(z[3 * h + j]) * Foundation.tanh(c)
                    XCTAssertEqual(Double(y[(s * t + step) * h + j]), hp[j], accuracy: 2e-6)
                }
            }
            for j in 0..<h { XCTAssertEqual(Double(last[s * h + j]), hp[j], accuracy: 2e-6) }
        }
    }

    func testLayerNormGradients() {
        checkGradients([randomTensor([2, 3, 8], seed: 48), randomTensor([8], seed: 49), randomTensor([8], seed: 50)]) {
            layerNorm($0[0], gamma: $0[1], beta: $0[2])
        }
    }

    func testLayerNormValues() {
        let x = Tensor([1, 2, 3, 4, -1, -1, -1, -1], shape: [2, 4])
        let y = layerNorm(x, gamma: Tensor([1, 1, 1, 1], shape: [4]), beta: Tensor([0, 0, 0, 0.5], shape: [4]))
        // Row 1: μ = 2.5, σ² = 1.25; row 2: constant, so x̂ = 0 and y = β.
        let r = 1 / (1.25 + 1e-5 as Float).squareRoot()
        XCTAssertEqual(y.scalars[0], -1.5 * r, accuracy: 1e-6)
        XCTAssertEqual(y.scalars[3], 1.5 * r + 0.5, accuracy: 1e-6)
        XCTAssertEqual(Array(y.scalars[4...]), [0, 0, 0, 0.5])
    }

    func testAttentionGradients() {
        checkGradients([randomTensor([2, 5, 12], seed: 51)]) { attention($0[0], heads: 2) }
        checkGradients([randomTensor([1, 3, 9], seed: 52)]) { attention($0[0], heads: 1) }
    }

    func testAttentionMatchesItsDefinition() {
        let (b, t, heads, dh) = (2, 7, 3, 4)
        let d = heads * dh
        let qkv = randomTensor([b, t, 3 * d], seed: 53)
        let y = attention(qkv, heads: heads)
        XCTAssertEqual(y.shape, [b, t, d])
        for s in 0..<b {
            for hd in 0..<heads {
                func at(_ i: Int, _ part: Int, _ e: Int) -> Double { Double(qkv[(s * t + i) * 3 * d + part * d + hd * dh + e]) }
                for i in 0..<t {
                    let scores = (0..<t).map { j in (0..<dh).reduce(0.0) { $0 + at(i, 0, $1) * at(j, 1, $1) } / Double(dh).squareRoot() }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }
                    let total = e.reduce(0, +)
                    for k in 0..<dh {
                        let o = (0..<t).reduce(0.0) { $0 + e[$1] / total * at($1, 2, k) }
                        XCTAssertEqual(Double(y[(s * t + i) * d + hd * dh + k]), o, accuracy: 1e-5)
                    }
                }
            }
        }
    }

    func testBatchedMatmul() {
        checkGradients([randomTensor([3, 2, 4], seed: 54), randomTensor([3, 4, 5], seed: 55)]) { batchedMatmul($0[0], $0[1]) }
        let a = Tensor([1, 2, 3, 4, 1, 0, 0, 1], shape: [2, 2, 2]), c = batchedMatmul(a, a)
        XCTAssertEqual(c.scalars, [7, 10, 15, 22, 1, 0, 0, 1])
    }

    func testMeanTokens() {
        checkGradients([randomTensor([2, 5, 3], seed: 56)]) { meanTokens($0[0]) }
        XCTAssertEqual(meanTokens(Tensor([1, 2, 3, 5], shape: [1, 2, 2])).scalars, [2, 3.5])
    }

    func testAddOfATrailingShape() {
        checkGradients([randomTensor([2, 3, 4], seed: 57), randomTensor([3, 4], seed: 58)]) { add($0[0], $0[1]) }
        checkGradients([randomTensor([2, 3], seed: 59), randomTensor([2, 3], seed: 60)]) { add($0[0], $0[1]) }
        XCTAssertEqual(add(Tensor([1, 2, 3, 4], shape: [2, 2]), Tensor([10, 20], shape: [2])).scalars, [11, 22, 13, 24])
    }

    func testActivationsAgainstLibm() {
        let xs = (-400...400).map { Float($0) * 0.05 } + [-90, -88, 88, 90, 1e-6, -1e-6]
        let x = Tensor(xs, shape: [xs.count])
        let (s, th, g) = (sigmoid(x), PithTensor.tanh(x), gelu(x))
        for (i, v) in xs.enumerated() {
            let d = Double(v)
            XCTAssertEqual(Double(s[i]), 1 / (1 + exp(-d)), accuracy: 1e-6 * max(1, 1 / (1 + exp(-d))), "σ(\(v))")
            XCTAssertEqual(Double(th[i]), Foundation.tanh(d), accuracy: 2e-7, "tanh(\(v))")
            XCTAssertEqual(Double(g[i]), d * 0.5 * (1 + erf(d / 2.0.squareRoot())), accuracy: 4e-7 * max(1, abs(d)), "GELU(\(v))")
        }
        let nan = sigmoid(Tensor([.nan], shape: [1]))
        XCTAssert(nan[0].isNaN, "NaN stays NaN")
    }
}
