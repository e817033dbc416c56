@testable import PithQuant
import XCTest

/// Range choices on a known distribution: 100,000 values uniform on [0, 1] and ten
/// outliers at 100. Min/max keeps the outliers; the others cut them off.
final class CalibrationTests: XCTestCase {
    func testMethodsClipOutliersThatMinMaxKeeps() {
        var values = (0..<100_000).map { Float($0) / 100_000 }
        values += [Float](repeating: 100, count: 10)
        var h = Histogram(upper: 100)
        values.withUnsafeBufferPointer { h.add($0) }
        XCTAssertEqual(h.threshold(.minmax, percentile: 99.99), 100)
        let p = h.threshold(.percentile, percentile: 99.9)
        XCTAssertGreaterThan(p, 0.95)
        XCTAssertLessThan(p, 1.2)
        // MSE: clipping ten values by ~99 costs more than the rounding error of 100,000
        // values in steps of t/255 only while t is small; the optimum sits well below 100.
        let m = h.threshold(.mse, percentile: 0)
        XCTAssertLessThan(m, 100)
        XCTAssertGreaterThanOrEqual(m, 1)
        let e = h.threshold(.entropy, percentile: 0)
        XCTAssertLessThan(e, 50)
        XCTAssertGreaterThan(e, 0.5)
    }

    /// A ReLU output: most values exactly zero, the rest spread up to 1. The zeros are
    /// exact at any range, so they must not pull the entropy range down: it keeps at
    /// least the 99th percentile of the non-zero values (it clipped 13% before).
    func testEntropyIgnoresTheSpikeOfZeros() {
        var values = [Float](repeating: 0, count: 300_000)
        var x: UInt64 = 7
        for _ in 0..<100_000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            let u = Float(x >> 40) / Float(1 << 24)
            values.append(u * u)  // more small values than large, like activations
        }
        var h = Histogram(upper: 1)
        values.withUnsafeBufferPointer { h.add($0) }
        XCTAssertGreaterThan(h.threshold(.entropy, percentile: 0), 0.97)
    }
}
