import PithNN
import PithTensor
import XCTest

final class ModelTests: XCTestCase {
    /// The model runs `relu, maxpool` as `maxpool, relu`; values and gradients must equal
    /// the order the description gives, computed op by op.
    func testPoolBeforeReLUChangesNothing() throws {
        let d = try ModelDescription(parsing: "input 2 8 8\nconv 3 3x3 pad 1\nrelu\nmaxpool 2\nflatten\ndense 4", source: "m")
        let model = Model(d, seed: 3)
        var rng = PithRandom(seed: 4)
        let x = Tensor((0..<(5 * 128)).map { _ in rng.nextNormal() }, shape: [5, 2, 8, 8])
        let labels: [Int32] = [0, 1, 2, 3, 1]

        var dropout = PithRandom(seed: 0)
        crossEntropy(logits: model.forward(x, training: true, rng: &dropout), labels: labels).backward()
        let fused = model.parameters.map { $0.gradScalars! }
        let fusedLogits = model.predict(x).scalars

        for p in model.parameters { p.zeroGrad() }
        guard case let .conv(conv) = model.layers[0], case let .dense(dense) = model.layers[4] else {
            return XCTFail("unexpected layers \(model.layers)")
        }
        let reference = dense(flatten(maxPool2d(relu(conv(x)), kernel: 2)))
        crossEntropy(logits: reference, labels: labels).backward()
        XCTAssertEqual(fusedLogits, reference.scalars)
        XCTAssertEqual(fused, model.parameters.map { $0.gradScalars! })
    }
}
