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

    /// Gamma(k) has mean k and variance k (k below and above 1: both branches); Beta(a, a)
    /// lies in [0, 1] with mean 1/2 and variance 1 / (4(2a + 1)).
    func testGammaAndBetaMoments() {
        var r = PithRandom(seed: 5)
        for k: Float in [0.4, 1, 3.5] {
            let g = (0..<100_000).map { _ in r.nextGamma(k) }
            let mean = g.reduce(0, +) / 100_000
            let variance = g.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 100_000
            XCTAssert(g.allSatisfy { $0 >= 0 && $0.isFinite }, "Gamma(\(k))")
            XCTAssertEqual(mean, k, accuracy: 0.02 * max(k, 1), "Gamma(\(k)) mean")
            XCTAssertEqual(variance, k, accuracy: 0.05 * max(k, 1), "Gamma(\(k)) variance")
        }
        for a: Float in [0.2, 1, 4] {
            let b = (0..<100_000).map { _ in r.nextBeta(a, a) }
            let mean = b.reduce(0, +) / 100_000
            let variance = b.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 100_000
            XCTAssert(b.allSatisfy { $0 >= 0 && $0 <= 1 }, "Beta(\(a), \(a))")
            XCTAssertEqual(mean, 0.5, accuracy: 0.01, "Beta(\(a), \(a)) mean")
            XCTAssertEqual(variance, 1 / (4 * (2 * a + 1)), accuracy: 0.004, "Beta(\(a), \(a)) variance")
        }
    }
}
