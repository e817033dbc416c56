import PithTensor
import XCTest

/// Every op's backward rule against finite differences.
final class OpGradientTests: XCTestCase {
    func testMatmul() {
        checkGradients([randomTensor([3, 5], seed: 1), randomTensor([5, 4], seed: 2)]) { matmul($0[0], $0[1]) }
    }

    func testLinear() {
        checkGradients([randomTensor([4, 6], seed: 3), randomTensor([5, 6], seed: 4), randomTensor([5], seed: 5)]) {
            linear($0[0], $0[1], $0[2])
        }
    }

    func testLinearWithResidual() {
        checkGradients([randomTensor([4, 6], seed: 3), randomTensor([5, 6], seed: 4), randomTensor([5], seed: 5),
                        randomTensor([4, 5], seed: 6)]) {
            linear($0[0], $0[1], $0[2], residual: $0[3])
        }
        // The same values, bit for bit, as adding the residual afterwards.
        let x = randomTensor([7, 9], seed: 7), w = randomTensor([3, 9], seed: 8), b = randomTensor([3], seed: 9), r = randomTensor([7, 3], seed: 10)
        XCTAssertEqual(linear(x, w, b, residual: r).scalars.map(\.bitPattern), add(r, linear(x, w, b)).scalars.map(\.bitPattern))
    }

    func testBroadcastAdd() {
        checkGradients([randomTensor([2, 3, 4], seed: 6), randomTensor([3, 1], seed: 7)]) { add($0[0], $0[1]) }
        checkGradients([randomTensor([4], seed: 8), randomTensor([2, 1, 4], seed: 9)]) { $0[0] + $0[1] }
    }

    func testBroadcastMul() {
        checkGradients([randomTensor([2, 3, 4], seed: 10), randomTensor([1, 3, 1], seed: 11)]) { mul($0[0], $0[1]) }
        checkGradients([randomTensor([3, 4], seed: 12), randomTensor([3, 4], seed: 13)]) { $0[0] * $0[1] }
    }

    func testBroadcastShapes() {
        XCTAssertEqual(broadcastShape([2, 3, 4], [3, 1]), [2, 3, 4])
        XCTAssertEqual(broadcastShape([5], [2, 1]), [2, 5])
        XCTAssertNil(broadcastShape([2, 3], [4]))
    }

    func testReLU() {
        checkGradients([awayFromZero(randomTensor([4, 7], seed: 14))]) { relu($0[0]) }
    }

    func testGELU() {
        checkGradients([randomTensor([4, 7], seed: 15, scale: 2)]) { gelu($0[0]) }
    }

    func testGELUValues() {
        // GELU(1) = 0.5 · (1 + erf(1/√2)) = 0.841345, GELU(−1) = −0.158655 (PyTorch, exact form).
        let y = gelu(Tensor([1, -1, 0], shape: [3]))
        XCTAssertEqual(y[0], 0.841345, accuracy: 1e-5)
        XCTAssertEqual(y[1], -0.158655, accuracy: 1e-5)
        XCTAssertEqual(y[2], 0)
    }

    func testTanh() {
        checkGradients([randomTensor([4, 7], seed: 16)]) { PithTensor.tanh($0[0]) }
    }

    func testSigmoid() {
        checkGradients([randomTensor([4, 7], seed: 17, scale: 3)]) { sigmoid($0[0]) }
        let extreme = sigmoid(Tensor([-1000, 1000], shape: [2]))
        XCTAssertEqual(extreme[0], 0)
        XCTAssertEqual(extreme[1], 1)
    }

    func testSoftmax() {
        checkGradients([randomTensor([3, 6], seed: 18)]) { softmax($0[0]) }
        let y = softmax(Tensor([1000, 1000, -1000], shape: [1, 3]))
        XCTAssertEqual(y[0], 0.5, accuracy: 1e-6)
        XCTAssertEqual(y[2], 0)
    }

    func testLogSoftmax() {
        checkGradients([randomTensor([3, 6], seed: 19)]) { logSoftmax($0[0]) }
        let y = logSoftmax(Tensor([1000, 0], shape: [1, 2]))
        XCTAssertEqual(y[0], 0, accuracy: 1e-6)
        XCTAssertEqual(y[1], -1000, accuracy: 1e-3)
    }

    func testConv2D() {
        checkGradients([randomTensor([2, 3, 6, 5], seed: 20), randomTensor([4, 3, 3, 3], seed: 21, scale: 0.5),
                        randomTensor([4], seed: 22)]) { conv2d($0[0], $0[1], $0[2], stride: 1, padding: 1) }
    }

    func testConv2DStrideAndPadding() {
        checkGradients([randomTensor([2, 2, 7, 7], seed: 23), randomTensor([3, 2, 3, 3], seed: 24, scale: 0.5),
                        randomTensor([3], seed: 25)]) { conv2d($0[0], $0[1], $0[2], stride: 2, padding: 2) }
    }

    func testConv2DMatchesDirectSum() {
        // y[n,o,i,j] = b[o] + Σ w[o,c,u,v] · x[n,c,i·s−p+u, j·s−p+v], evaluated by hand.
        let x = randomTensor([2, 3, 5, 6], seed: 26), w = randomTensor([4, 3, 3, 3], seed: 27), b = randomTensor([4], seed: 28)
        let s = 2, p = 1
        let y = conv2d(x, w, b, stride: s, padding: p)
        XCTAssertEqual(y.shape, [2, 4, 3, 3])
        for n in 0..<2 { for o in 0..<4 { for i in 0..<3 { for j in 0..<3 {
            var acc = b[o]
            for c in 0..<3 { for u in 0..<3 { for v in 0..<3 {
                let ih = i * s - p + u, iw = j * s - p + v
                if ih >= 0 && ih < 5 && iw >= 0 && iw < 6 { acc += w[((o * 3 + c) * 3 + u) * 3 + v] * x[((n * 3 + c) * 5 + ih) * 6 + iw] }
            } } }
            XCTAssertEqual(y[((n * 4 + o) * 3 + i) * 3 + j], acc, accuracy: 1e-4)
        } } } }
    }

    func testMaxPool() {
        // Distinct values spaced apart so a perturbation never changes the maximum.
        var rng = PithRandom(seed: 29)
        let values = rng.permutation(2 * 3 * 6 * 6).map { Float($0) * 0.05 }
        checkGradients([Tensor(values, shape: [2, 3, 6, 6])], epsilon: 1e-3) { maxPool2d($0[0], kernel: 2) }
        checkGradients([Tensor(values, shape: [2, 3, 6, 6])], epsilon: 1e-3) { maxPool2d($0[0], kernel: 3, stride: 2) }
    }

    func testAvgPool() {
        checkGradients([randomTensor([2, 3, 6, 6], seed: 30)]) { avgPool2d($0[0], kernel: 2) }
        checkGradients([randomTensor([1, 2, 7, 7], seed: 31)]) { avgPool2d($0[0], kernel: 3, stride: 2) }
    }

    func testDropout() {
        checkGradients([randomTensor([4, 50], seed: 32)]) { inputs in
            var rng = PithRandom(seed: 7)  // the same mask for every evaluation
            return dropout(inputs[0], p: 0.5, training: true, rng: &rng)
        }
        var rng = PithRandom(seed: 8)
        let x = Tensor([Float](repeating: 1, count: 10_000), shape: [10_000])
        let y = dropout(x, p: 0.3, training: true, rng: &rng)
        let kept = y.scalars.filter { $0 != 0 }
        XCTAssertEqual(Double(kept.count) / 10_000, 0.7, accuracy: 0.02)
        XCTAssertEqual(kept[0], 1 / 0.7, accuracy: 1e-6)
        XCTAssertEqual(dropout(x, p: 0.3, training: false, rng: &rng).scalars, x.scalars)
    }

    func testReshapeAndFlatten() {
        checkGradients([randomTensor([2, 3, 4], seed: 33)]) { reshape($0[0], [6, 4]) }
        checkGradients([randomTensor([2, 3, 2, 2], seed: 34)]) { flatten($0[0]) }
        XCTAssertEqual(flatten(Tensor(zeros: [5, 2, 3, 4])).shape, [5, 24])
    }

    func testSumAndMean() {
        checkGradients([randomTensor([3, 4], seed: 35)]) { sum($0[0]) }
        checkGradients([randomTensor([3, 4], seed: 36)]) { mean($0[0]) }
    }

    func testGradientsAccumulateAcrossUses() {
        // y = x·x + x → ∂y/∂x = 2x + 1, through a node used three times.
        let x = Tensor([3], shape: [1], requiresGrad: true)
        sum(add(mul(x, x), x)).backward()
        XCTAssertEqual(x.gradScalars, [7])
    }

    func testNoGraphWithoutGrad() {
        let w = Tensor([1, 2], shape: [2], requiresGrad: true)
        let y = GradMode.withoutGrad { mul(w, w) }
        XCTAssertFalse(y.requiresGrad)
    }
}
