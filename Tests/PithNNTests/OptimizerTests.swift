import PithNN
import PithTensor
import XCTest

final class OptimizerTests: XCTestCase {
    /// One parameter θ = 1 with gradient g = 0.5 (set by hand), one step each.
    func step(_ config: OptimizerConfig, lr: Float, steps: Int = 1) -> Float {
        let p = Tensor([1], shape: [1], requiresGrad: true)
        let opt = Optimizer(config, parameters: [p])
        for _ in 0..<steps {
            p.zeroGrad()
            p.grad[0] = 0.5
            opt.update([p], lr: lr)
        }
        return p[0]
    }

    func testSGD() {
        XCTAssertEqual(step(OptimizerConfig(kind: .sgd), lr: 0.1), 0.95, accuracy: 1e-7)
        // L2: g + λθ = 0.5 + 0.1.
        XCTAssertEqual(step(OptimizerConfig(kind: .sgd, weightDecay: 0.1), lr: 0.1), 0.94, accuracy: 1e-7)
    }

    func testMomentum() {
        // v1 = 0.5, θ1 = 0.95; v2 = 0.9·0.5 + 0.5 = 0.95, θ2 = 0.95 − 0.095.
        XCTAssertEqual(step(OptimizerConfig(kind: .momentum), lr: 0.1, steps: 2), 0.855, accuracy: 1e-6)
    }

    func testAdamFirstStepIsLearningRateSized() {
        // With bias correction, m̂ = g and v̂ = g², so the first step is lr · g/|g| (ε aside).
        XCTAssertEqual(step(OptimizerConfig(kind: .adam), lr: 0.01), 0.99, accuracy: 1e-6)
    }

    func testAdamTwoSteps() {
        // Reference from the paper's update, computed in Double.
        var m = 0.0, v = 0.0, theta = 1.0
        for t in 1...2 {
            m = 0.9 * m + 0.1 * 0.5
            v = 0.999 * v + 0.001 * 0.25
            theta -= 0.01 * (m / (1 - pow(0.9, Double(t)))) / ((v / (1 - pow(0.999, Double(t)))).squareRoot() + 1e-8)
        }
        XCTAssertEqual(Double(step(OptimizerConfig(kind: .adam), lr: 0.01, steps: 2)), theta, accuracy: 1e-6)
    }

    func testAdamWDecaysDecoupled() {
        // θ ← θ − lr·λ·θ = 1 − 0.01·0.1, then the Adam step of size lr.
        XCTAssertEqual(step(OptimizerConfig(kind: .adamw, weightDecay: 0.1), lr: 0.01), 1 - 0.001 - 0.01, accuracy: 1e-6)
        // Adam with L2 instead: the gradient grows but the first step's size is still lr.
        XCTAssertEqual(step(OptimizerConfig(kind: .adam, weightDecay: 0.1), lr: 0.01), 0.99, accuracy: 1e-6)
    }

    func testSchedules() {
        let constant = Schedule(kind: .constant, baseLR: 0.1)
        XCTAssertEqual(constant.rate(step: 500, epoch: 9, totalSteps: 1000), 0.1)
        var stepped = Schedule(kind: .step, baseLR: 0.1)
        stepped.stepEpochs = 3
        stepped.gamma = 0.5
        XCTAssertEqual(stepped.rate(step: 0, epoch: 2, totalSteps: 100), 0.1, accuracy: 1e-7)
        XCTAssertEqual(stepped.rate(step: 0, epoch: 3, totalSteps: 100), 0.05, accuracy: 1e-7)
        XCTAssertEqual(stepped.rate(step: 0, epoch: 7, totalSteps: 100), 0.025, accuracy: 1e-7)
        var cosine = Schedule(kind: .cosine, baseLR: 0.1)
        cosine.warmupSteps = 10
        XCTAssertEqual(cosine.rate(step: 0, epoch: 0, totalSteps: 110), 0.01, accuracy: 1e-7)
        XCTAssertEqual(cosine.rate(step: 9, epoch: 0, totalSteps: 110), 0.1, accuracy: 1e-7)
        XCTAssertEqual(cosine.rate(step: 10, epoch: 0, totalSteps: 110), 0.1, accuracy: 1e-7)
        XCTAssertEqual(cosine.rate(step: 60, epoch: 0, totalSteps: 110), 0.05, accuracy: 1e-6)
        XCTAssertEqual(cosine.rate(step: 110, epoch: 0, totalSteps: 110), 0, accuracy: 1e-7)
    }
}
