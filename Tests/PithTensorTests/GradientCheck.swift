import PithTensor
import XCTest

/// Finite-difference gradient check.
///
/// The scalar L = Σ f(inputs) ⊙ R with a fixed random R; each analytic ∂L/∂x_i from
/// backward is compared with (L(x_i + ε) − L(x_i − ε)) / 2ε, within atol + rtol·|numeric|.
func checkGradients(_ inputs: [Tensor], epsilon: Float = 1e-2, atol: Float = 2e-3, rtol: Float = 2e-2,
                    maxChecksPerInput: Int = 60, file: StaticString = #filePath, line: UInt = #line,
                    _ f: ([Tensor]) -> Tensor) {
    var rng = PithRandom(seed: 99)
    let probe = f(inputs)
    let weights = Tensor((0..<probe.count).map { _ in rng.nextNormal() }, shape: probe.shape)
    func lossValue() -> Double {
        let out = GradMode.withoutGrad { f(inputs) }
        var s: Double = 0
        for i in 0..<out.count { s += Double(out[i]) * Double(weights[i]) }
        return s
    }
    for t in inputs { t.requiresGrad = true; t.dropGrad() }
    let loss = sum(mul(f(inputs), weights))
    loss.backward()
    for (k, t) in inputs.enumerated() {
        let analytic = t.gradScalars ?? [Float](repeating: 0, count: t.count)
        let stride = max(1, t.count / maxChecksPerInput)
        for i in Swift.stride(from: 0, to: t.count, by: stride) {
            let saved = t[i]
            t[i] = saved + epsilon
            let plus = lossValue()
            t[i] = saved - epsilon
            let minus = lossValue()
            t[i] = saved
            let numeric = Float((plus - minus) / Double(2 * epsilon))
            XCTAssertEqual(analytic[i], numeric, accuracy: atol + rtol * abs(numeric),
                           "input \(k) element \(i)", file: file, line: line)
        }
    }
}

/// A tensor of standard-normal values.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = PithRandom(seed: seed)
    let n = shape.reduce(1, *)
    return Tensor((0..<n).map { _ in rng.nextNormal() * scale }, shape: shape)
}

/// Values kept at least `gap` away from zero (for kinks such as ReLU's).
func awayFromZero(_ t: Tensor, gap: Float = 0.1) -> Tensor {
    for i in 0..<t.count where abs(t[i]) < gap { t[i] = t[i] < 0 ? -gap - abs(t[i]) : gap + abs(t[i]) }
    return t
}
