import CPithRuntimeKernels
import XCTest

/// Float → uint8/int8 quantization: the fast path (a multiply by 1/scale, exact division
/// next to ties) gives the reference's bytes, and both report the first NaN or infinity.
final class QuantizeTests: XCTestCase {
    var rng = Q8GemmTests.Rng(s: 77)

    func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * Float(rng.next() % 1_000_001) / 1_000_000 }

    /// The definition, written again in Swift: clamp(round_half_even(x / scale) + zero).
    func definition(_ x: Float, scale: Float, zero: Int32, signed: Bool) -> Int32 {
        let v = (x / scale).rounded(.toNearestOrEven) + Float(zero)
        let lo: Float = signed ? -128 : 0, hi: Float = signed ? 127 : 255
        return Int32(v < lo ? lo : v > hi ? hi : v)
    }

    typealias Quantizer<T> = (UnsafePointer<Float>, Int, Float, Int32, UnsafeMutablePointer<T>) -> Int

    /// The fast path and the reference on x: the same first non-finite index, the same
    /// bytes where x is finite, and those bytes the definition's.
    func compare<T: FixedWidthInteger>(_ x: [Float], scale: Float, zero: Int32, fast: Quantizer<T>, reference: Quantizer<T>,
                                       file: StaticString, line: UInt) {
        let n = x.count
        let firstBad = x.firstIndex { !$0.isFinite } ?? -1
        var a = [T](repeating: 7, count: n), b = [T](repeating: 9, count: n)
        XCTAssertEqual(fast(x, n, scale, zero, &a), firstBad, file: file, line: line)
        XCTAssertEqual(reference(x, n, scale, zero, &b), firstBad, file: file, line: line)
        for i in 0 ..< n where x[i].isFinite {
            XCTAssertEqual(a[i], b[i], "\(T.self) x=\(x[i]) scale=\(scale) zero=\(zero)", file: file, line: line)
            XCTAssertEqual(Int32(b[i]), definition(x[i], scale: scale, zero: zero, signed: T.isSigned), file: file, line: line)
        }
    }

    func check(_ x: [Float], scale: Float, zero: Int32, file: StaticString = #filePath, line: UInt = #line) {
        if zero >= 0 && zero <= 255 {
            compare(x, scale: scale, zero: zero, fast: pith_quantize_u8, reference: pith_quantize_u8_reference, file: file, line: line)
        }
        if zero >= -128 && zero <= 127 {
            compare(x, scale: scale, zero: zero, fast: pith_quantize_s8, reference: pith_quantize_s8_reference, file: file, line: line)
        }
    }

    func testRandomValuesScalesAndLengths() {
        for trial in 0 ..< 300 {
            let n = trial < 40 ? trial : Int(rng.next() % 700)
            let scale = uniform(1e-4, 0.5)
            let zero = Int32(rng.next() % 256) - (trial % 2 == 0 ? 0 : 128)
            let range = scale * 300
            check((0 ..< n).map { _ in uniform(-range, range) }, scale: scale, zero: zero)
        }
    }

    /// x / scale exactly on a half-integer (power-of-two scales make it exact), and just
    /// beside it: the multiply-by-reciprocal path must hand these to the division.
    func testTiesAndTheirNeighbours() {
        for scale: Float in [1, 0.5, 0.25, 1.0 / 128, 3.0 / 1024, 1.0 / 255, 0.1] {
            var x: [Float] = []
            for k in -300 ... 300 {
                let tie = (Float(k) + 0.5) * scale
                x += [tie, tie.nextUp, tie.nextDown, tie.nextUp.nextUp, tie.nextDown.nextDown, Float(k) * scale]
            }
            check(x, scale: scale, zero: 3)
            check(x, scale: scale, zero: -5)
            check(x, scale: scale, zero: 200)
        }
    }

    func testPixelsAtOneOver255AreExact() {
        let x = (0 ..< 256).map { Float($0) * Float(0.00392156862745098) }
        check(x, scale: 1.0 / 255, zero: 0)
        var q = [UInt8](repeating: 0, count: 256)
        _ = pith_quantize_u8(x, 256, 1.0 / 255, 0, &q)
        XCTAssertEqual(q, (0 ..< 256).map { UInt8($0) })
    }

    func testExtremesClampAndNonFiniteValuesAreFound() {
        let big: [Float] = [1e30, -1e30, Float.greatestFiniteMagnitude, -Float.greatestFiniteMagnitude, 1023.9, 1024.1, -1024.1, 5e6,
                            Float.leastNonzeroMagnitude, -0.0, 0]
        check(big, scale: 1, zero: 0)
        check(big, scale: 1e-6, zero: 100)
        check(big, scale: 1e6, zero: -100)
        for bad: Float in [.nan, .infinity, -.infinity, .signalingNaN] {
            for n in [1, 15, 16, 17, 40] {
                for at in Set([0, n / 2, n - 1]) {
                    var x = (0 ..< n).map { Float($0) * 0.01 }
                    x[at] = bad
                    if at > 0 { x[n - 1] = n - 1 > at ? .infinity : x[n - 1] }  // a later one too: the first is reported
                    check(x, scale: 0.01, zero: 10)
                }
            }
        }
    }
}
