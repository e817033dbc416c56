import CPithRuntimeKernels
import XCTest

/// The fp32 GEMM's AVX-512 path (fused multiply-add) against the portable reference
/// (separate multiply and add), within the summation error bound.
final class F32GemmTests: XCTestCase {
    func run(_ x: [Float], m: Int32, _ w: [Float], n: Int32, k: Int32, bias: [Float]?, relu: Bool, path: Int32) -> [Float] {
        let floats = Int(pith_f32_packed_floats(k, n))
        let data = UnsafeMutableRawPointer.allocate(byteCount: max(floats * 4, 64), alignment: 64).bindMemory(to: Float.self, capacity: max(floats, 16))
        defer { data.deallocate() }
        var p = pith_f32_packed(K: k, N: n, NP: 0, data: data)
        pith_f32_pack(w, n, k, &p)
        var y = [Float](repeating: .nan, count: Int(m * n))
        if let bias { pith_f32_gemm(x, Int(k), m, &p, bias, relu ? 1 : 0, &y, Int(n), path) }
        else { pith_f32_gemm(x, Int(k), m, &p, nil, relu ? 1 : 0, &y, Int(n), path) }
        return y
    }

    func testFastPathStaysWithinTheSummationBound() throws {
        try XCTSkipUnless(pith_f32_path_supported(2) != 0, "no AVX-512 here")
        var state: UInt64 = 5
        func r() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
        }
        for (m, n, k) in [(1, 10, 784), (7, 13, 31), (6, 64, 64), (13, 67, 101), (3, 1, 1), (257, 17, 9)] as [(Int32, Int32, Int32)] {
            let x = (0..<Int(m * k)).map { _ in r() }, w = (0..<Int(n * k)).map { _ in r() }, b = (0..<Int(n)).map { _ in r() }
            for relu in [false, true] {
                let reference = run(x, m: m, w, n: n, k: k, bias: b, relu: relu, path: 1)
                let fast = run(x, m: m, w, n: n, k: k, bias: b, relu: relu, path: 2)
                for i in 0..<Int(m * n) {
                    let row = i / Int(n), col = i % Int(n)
                    var magnitude: Float = abs(b[col])
                    for j in 0..<Int(k) { magnitude += abs(x[row * Int(k) + j] * w[col * Int(k) + j]) }
                    XCTAssertEqual(fast[i], reference[i], accuracy: 2 * Float(k + 1) * Float.ulpOfOne * magnitude, "\(m)x\(n)x\(k) [\(i)]")
                }
                if relu { XCTAssert(fast.allSatisfy { $0 >= 0 }) }
            }
        }
        // Without a bias the output is the plain product.
        XCTAssertEqual(run([1, 2], m: 1, [3, 4, 5, 6], n: 2, k: 2, bias: nil, relu: false, path: 1), [11, 17])
    }
}
