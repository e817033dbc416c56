import PithTensor
import XCTest

/// Threads change who computes what. A run is repeatable for a given thread count; across
/// thread counts a split GEMM may differ in the last bits (BLAS picks its kernels by block
/// size), while convolutions, which split by sample, do not differ at all.
final class ThreadingTests: XCTestCase {
    override func tearDown() { Threads.set(1) }

    func result(threads: Int, _ f: () -> Tensor) -> [UInt32] {
        Threads.set(threads)
        return f().scalars.map(\.bitPattern)
    }

    func testSplitGEMMIsRepeatableAndMatchesOneThread() {
        let a = randomTensor([67, 300], seed: 1), b = randomTensor([300, 301], seed: 2)
        let tall = randomTensor([900, 64], seed: 3), narrow = randomTensor([64, 40], seed: 4)
        XCTAssertEqual(result(threads: 2) { matmul(a, b) }, result(threads: 2) { matmul(a, b) })
        XCTAssertEqual(result(threads: 3) { matmul(tall, narrow) }, result(threads: 3) { matmul(tall, narrow) })
        for (x, y) in [(a, b), (tall, narrow)] {
            Threads.set(1)
            let one = matmul(x, y).scalars
            Threads.set(2)
            let two = matmul(x, y).scalars
            // Two summation orders of K products differ by at most γ_K·Σ|x||y| (Higham);
            // rounding errors add like a random walk, so 4·√K·ε·Σ|x||y| is a safe bound that
            // still fails for any real error (a wrong term changes a sum by ~|x||y|).
            let k = x.shape[1]
            let magnitude = matmul(abs(x), abs(y)).scalars
            let epsilon = Float(k).squareRoot() * 4 * Float.ulpOfOne
            for (i, (p, q)) in zip(one, two).enumerated() {
                XCTAssertEqual(p, q, accuracy: epsilon * magnitude[i], "element \(i)")
            }
        }
    }

    func abs(_ t: Tensor) -> Tensor {
        let r = Tensor(zeros: t.shape)
        for i in 0..<t.count { r.data[i] = Swift.abs(t.data[i]) }
        return r
    }

    func testConvolutionGradientsDoNotDependOnThreads() {
        func grads(threads: Int) -> [UInt32] {
            Threads.set(threads)
            let x = randomTensor([11, 3, 9, 9], seed: 5), w = randomTensor([4, 3, 3, 3], seed: 6), b = randomTensor([4], seed: 7)
            x.requiresGrad = true; w.requiresGrad = true; b.requiresGrad = true
            sum(relu(conv2d(x, w, b, stride: 1, padding: 1))).backward()
            return (x.gradScalars! + w.gradScalars! + b.gradScalars!).map(\.bitPattern)
        }
        XCTAssertEqual(grads(threads: 1), grads(threads: 2))
    }
}
