import PithNN
import PithTensor
import XCTest

final class LossTests: XCTestCase {
    func testCrossEntropyValueAndGradient() {
        // logits (2, 3); L = mean of −log softmax at the label.
        let z = Tensor([1, 2, 3, 0, 0, 0], shape: [2, 3], requiresGrad: true)
        let loss = crossEntropy(logits: z, labels: [2, 0])
        let l0 = -log(exp(3.0) / (exp(1.0) + exp(2.0) + exp(3.0))), l1 = log(3.0)
        XCTAssertEqual(Double(loss.item), (l0 + l1) / 2, accuracy: 1e-6)
        loss.backward()
        let g = z.gradScalars!
        XCTAssertEqual(Double(g[3]), (1.0 / 3 - 1) / 2, accuracy: 1e-6)
        XCTAssertEqual(Double(g[4]), (1.0 / 3) / 2, accuracy: 1e-6)
    }

    /// One softmax: the cross-entropy's gradient, softmax(z)/B − onehot(y)/B, holds the
    /// softmax op's values bit for bit; softmaxRow at T is softmaxRow of z/T.
    func testCrossEntropyRunsTheOneSoftmax() {
        var rng = PithRandom(seed: 21)
        let z = Tensor((0..<(4 * 7)).map { _ in rng.nextNormal() * 3 }, shape: [4, 7], requiresGrad: true)
        let labels: [Int32] = [0, 6, 3, 3]
        crossEntropy(logits: z, labels: labels).backward()
        let p = softmax(Tensor(z.scalars, shape: [4, 7])).scalars
        var expected = p.map { $0 * 0.25 }
        for (r, y) in labels.enumerated() { expected[r * 7 + Int(y)] -= 0.25 }
        XCTAssertEqual(z.gradScalars!.map(\.bitPattern), expected.map(\.bitPattern))
        var scaled = [Float](repeating: 0, count: 7), direct = [Float](repeating: 0, count: 7)
        let divided = (0..<7).map { z.data[$0] / 2.5 }
        _ = softmaxRow(z.data, 7, temperature: 2.5, into: &scaled)
        _ = softmaxRow(divided, 7, into: &direct)
        XCTAssertEqual(scaled, direct)
    }

    func testCrossEntropyIsStableForHugeLogits() {
        let loss = crossEntropy(logits: Tensor([1e4, 0, -1e4], shape: [1, 3]), labels: [1])
        XCTAssertEqual(loss.item, 1e4, accuracy: 1)
        XCTAssert(loss.item.isFinite)
    }

    func testMSE() {
        let p = Tensor([1, 2, 4], shape: [3], requiresGrad: true)
        let loss = meanSquaredError(p, [1, 0, 1])
        XCTAssertEqual(loss.item, (0 + 4 + 9) / 3, accuracy: 1e-6)
        loss.backward()
        XCTAssertEqual(p.gradScalars!, [0, 4.0 / 3, 2], accuracy: 1e-6)
    }

    func testBinaryCrossEntropyFromLogits() {
        let x = Tensor([0, 2, -100], shape: [3], requiresGrad: true)
        let loss = binaryCrossEntropy(logits: x, targets: [1, 0, 0])
        let expected = (log(2.0) + (2 + log(1 + exp(-2.0))) + 0) / 3
        XCTAssertEqual(Double(loss.item), expected, accuracy: 1e-5)
        loss.backward()
        let sig2 = 1 / (1 + exp(-2.0))
        XCTAssertEqual(Double(x.gradScalars![1]), sig2 / 3, accuracy: 1e-6)
    }
}

func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
