import PithTensor
import XCTest

final class RandomTests: XCTestCase {
    func testSameSeedSameStream() {
        var a = PithRandom(seed: 42), b = PithRandom(seed: 42), c = PithRandom(seed: 43)
        let xa = (0..<8).map { _ in a.next() }, xb = (0..<8).map { _ in b.next() }, xc = (0..<8).map { _ in c.next() }
        XCTAssertEqual(xa, xb)
        XCTAssertNotEqual(xa, xc)
    }

    func testPermutationIsAPermutation() {
        var r = PithRandom(seed: 1)
        let p = r.permutation(1000)
        XCTAssertEqual(p.sorted(), Array(0..<1000))
        XCTAssertNotEqual(p, Array(0..<1000))
    }

    func testUniformAndNormalMoments() {
        var r = PithRandom(seed: 2)
        let u = (0..<100_000).map { _ in r.nextFloat() }
        XCTAssert(u.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(u.reduce(0, +) / 100_000, 0.5, accuracy: 0.01)
        let n = (0..<100_000).map { _ in r.nextNormal() }
        let mean = n.reduce(0, +) / 100_000
        let variance = n.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 100_000
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.03)
    }
}
