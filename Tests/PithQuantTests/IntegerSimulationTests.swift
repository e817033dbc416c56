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

    /// The runtime reorders the channels between the CNNs' convolutions (dead-on-blank
    /// first, for zero skipping); the logits are the same bits with and without it.
    func testChannelReorderingChangesNoResult() throws {
        let mnist = Self.root.appendingPathComponent("../shared/data/mnist").standardized.path
        guard FileManager.default.fileExists(atPath: mnist + "/t10k-images-idx3-ubyte.gz") else {
            throw XCTSkip("MNIST not present at \(mnist)")
        }
        let splits = try DataSource.named("mnist", mnistDirectory: mnist).load()
        for name in ["cnn-student", "cnn-teacher"] {
            let text = try String(contentsOf: Self.root.appendingPathComponent("models/\(name).model"), encoding: .utf8)
            let model = Model(try ModelDescription(parsing: text, source: name), seed: 8)
            // conv1's bias: negative (dead on a blank input) for every other channel.
            let bias = model.parameters[1]
            for c in 0..<bias.count { bias.data[c] = c % 2 == 0 ? -0.3 : 0.3 }
            let quantized = try PostTrainingQuantizer.quantize(model, calibration: splits.train.slice(0..<128), metadata: Metadata())
            let file = try PithFile(bytes: try PithWriter.encode(quantized).bytes)
            let count = 24
            let (x, _) = splits.test.slice(0..<count).batch(Array(0..<count)[...])
            let reordered = try Interpreter(file: file, maxBatch: count)
            XCTAssertEqual(reordered.channelReorderings, 1, "\(name): conv1 → pool → conv2 should be reordered")
            setenv("PITH_CHANNEL_ORDER", "0", 1)
            defer { unsetenv("PITH_CHANNEL_ORDER") }
            let plain = try Interpreter(file: file, maxBatch: count)
            XCTAssertEqual(plain.channelReorderings, 0)
            XCTAssertEqual(try reordered.run(x.scalars, batch: count), try plain.run(x.scalars, batch: count), name)
        }
    }
}
