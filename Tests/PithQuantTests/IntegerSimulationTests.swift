import Foundation
import PithFormat
import PithNN
import PithQuant
import PithRuntime
import XCTest

/// The quantizer's integer simulation and PithRuntime agree bit for bit on the exported
/// file, for every reference workload, on MNIST test images (skipped where MNIST is absent).
final class IntegerSimulationTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testRuntimeEqualsTheSimulationOnEveryWorkload() throws {
        let mnist = Self.root.appendingPathComponent("../shared/data/mnist").standardized.path
        guard FileManager.default.fileExists(atPath: mnist + "/t10k-images-idx3-ubyte.gz") else {
            throw XCTSkip("MNIST not present at \(mnist)")
        }
        let splits = try DataSource.named("mnist", mnistDirectory: mnist).load()
        let images = ProcessInfo.processInfo.environment["PITH_SIMULATION_IMAGES"].flatMap(Int.init) ?? 300
        for name in ["mlp-tiny", "cnn-student", "mlp-student", "mlp-teacher", "cnn-teacher"] {
            let text = try String(contentsOf: Self.root.appendingPathComponent("models/\(name).model"), encoding: .utf8)
            let model = Model(try ModelDescription(parsing: text, source: name), seed: 6)
            let quantized = try PostTrainingQuantizer.quantize(model, calibration: splits.train.slice(0..<256), metadata: Metadata())
            let file = try PithFile(bytes: try PithWriter.encode(quantized).bytes)
            // The simulation reads the file's own tensors, as the runtime does.
            let simulation = IntegerSimulation(file.model())
            // The big CNN's simulation is plain loops: in a debug build, 30 images (a release
            // build, `swift test -c release`, runs them all).
            #if DEBUG
            let count = name == "cnn-teacher" ? min(images, 30) : images
            #else
            let count = images
            #endif
            let runner = try Interpreter(file: file, maxBatch: count)
            let test = splits.test.slice(0..<count)
            let (x, _) = test.batch(Array(0..<count)[...])
            let got = try runner.run(x.scalars, batch: count)
            let k = runner.outputElements
            var differing = 0
            for i in 0..<count {
                let sample = Array(x.scalars[(i * test.featureCount)..<((i + 1) * test.featureCount)])
                let expected = try simulation.run(sample)
                if expected != Array(got[(i * k)..<((i + 1) * k)]) { differing += 1 }
            }
            XCTAssertEqual(differing, 0, "\(name): \(differing) of \(count) images differ between the runtime and the simulation")
        }
    }
}
