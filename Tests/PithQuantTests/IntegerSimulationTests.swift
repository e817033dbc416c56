import Foundation
import PithFormat
import PithNN
import PithQuant
import PithRuntime
import XCTest

/// The quantizer's integer simulation and PithRuntime agree bit for bit on the exported
/// file, for every reference workload on MNIST test images — or, where MNIST is absent, for
/// the digits models and a small CNN on the built-in digits (never skipped).
final class IntegerSimulationTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A CNN for 8x8 digits with the reference CNNs' structure (conv → pool → conv).
    static let digitsCNN = "name cnn-digits\ninput 1 8 8\nconv 8 3x3 pad 1\nrelu\nmaxpool 2\nconv 16 3x3 pad 1\nrelu\nflatten\ndense 10\n"

    /// The data and the models (name, description text): MNIST's reference workloads, or
    /// the digits ones when MNIST is not here.
    /// MNIST and the models `mnistNames` where MNIST is here, else the built-in digits and
    /// `digitsNames`: each name's text from `inline`, or models/NAME.model (`cnn-digits`:
    /// `digitsCNN`).
    static func workloads(_ mnistNames: [String], digitsNames: [String], inline: [String: String] = [:]) throws -> (DataSplits, [(String, String)]) {
        let mnist = root.appendingPathComponent("../shared/data/mnist").standardized.path
        func text(_ name: String) throws -> String {
            if let t = inline[name] { return t }
            return name == "cnn-digits" ? digitsCNN : try String(contentsOf: root.appendingPathComponent("models/\(name).model"), encoding: .utf8)
        }
        if FileManager.default.fileExists(atPath: mnist + "/t10k-images-idx3-ubyte.gz") {
            return (try DataSource.named("mnist", mnistDirectory: mnist).load(), try mnistNames.map { ($0, try text($0)) })
        }
        return (try DataSource.digits.load(), try digitsNames.map { ($0, try text($0)) })
    }

    /// How many of the first `count` images of `test` get other logits from the runtime
    /// (a batch of `count` on `threads` threads) than from the simulation.
    /// For each model of `models` (name, description), at initialisation (seed 3) and with
    /// every weight times each of `gains`: quantized with 128 calibration images, the runtime
    /// and the simulation give the same logits on `count` test images.
    static func assertRuntimeEqualsTheSimulation(_ models: [(String, String)], _ splits: DataSplits, count: Int, gains: [Float],
                                                 file: StaticString = #filePath, line: UInt = #line) throws {
        for (name, text) in models {
            for gain in gains {
                let model = Model(try ModelDescription(parsing: text, source: name), seed: 3)
                for p in model.parameters { for i in 0..<p.count { p.data[i] *= gain } }
                let quantized = try PostTrainingQuantizer.quantize(model, calibration: splits.train.slice(0..<128), metadata: Metadata())
                let pith = try PithFile(bytes: try PithWriter.encode(quantized).bytes)
                let simulation = IntegerSimulation(pith.model())
                let differing = try differingImages(pith, simulation, splits.test, count: count, threads: 2)
                XCTAssertEqual(differing, 0, "\(name) ×\(gain): \(differing) of \(count) images differ between the runtime and the simulation",
                               file: file, line: line)
            }
        }
    }

    static func differingImages(_ file: PithFile, _ simulation: IntegerSimulation, _ test: Dataset, count: Int, threads: Int = 1) throws -> Int {
        let runner = try Interpreter(file: file, maxBatch: count, threads: threads)
        let part = test.slice(0..<count)
        let (x, _) = part.batch(Array(0..<count)[...])
        let got = try runner.run(x.scalars, batch: count)
        let k = runner.outputElements
        var differing = 0
        for i in 0..<count {
            let sample = Array(x.scalars[(i * part.featureCount)..<((i + 1) * part.featureCount)])
            if try simulation.run(sample) != Array(got[(i * k)..<((i + 1) * k)]) { differing += 1 }
        }
        return differing
    }

    func testRuntimeEqualsTheSimulationOnEveryWorkload() throws {
        let (splits, models) = try Self.workloads(["mlp-tiny", "cnn-student", "mlp-student", "mlp-teacher", "cnn-teacher"],
                                             digitsNames: ["digits-teacher", "digits-student", "cnn-digits"])
        let images = ProcessInfo.processInfo.environment["PITH_SIMULATION_IMAGES"].flatMap(Int.init) ?? 300
        for (name, text) in models {
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
            let differing = try Self.differingImages(file, simulation, splits.test, count: count)
            XCTAssertEqual(differing, 0, "\(name): \(differing) of \(count) images differ between the runtime and the simulation")
        }
    }

    /// The runtime reorders the channels between the CNNs' convolutions (dead-on-blank
    /// first, for zero skipping); the logits are the same bits with and without it.
    func testChannelReorderingChangesNoResult() throws {
        let (splits, models) = try Self.workloads(["cnn-student", "cnn-teacher"], digitsNames: ["cnn-digits"])
        for (name, text) in models {
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
