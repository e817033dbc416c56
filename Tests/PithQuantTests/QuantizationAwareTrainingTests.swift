import Foundation
import PithFormat
import PithNN
import PithQuant
import PithRuntime
import PithTensor
import XCTest

/// Quantization-aware training: the fake-quantization ops against the quantizer's own
/// arithmetic, and the exported integer model against the model the training simulated.
final class QuantizationAwareTrainingTests: XCTestCase {
    static let digits = try! DataSource.digits.load()

    func config(_ d: ModelDescription, epochs: Int, seed: UInt64 = 3) -> TrainingConfig {
        TrainingConfig(modelText: d.text, data: "digits", seed: seed, epochs: epochs, batchSize: 32,
                       optimizer: OptimizerConfig(kind: .adam), schedule: Schedule(kind: .constant, baseLR: 3e-3), qat: QATConfig())
    }

    /// The weights the forward pass sees are the exported int8 weights times their scales,
    /// bit for bit (`fakeQuantizePerChannel` is the twin of `WeightQuantizer`).
    func testFakeQuantizedWeightsAreTheExportedWeights() {
        var rng = PithRandom(seed: 4)
        let w = Tensor(zeros: [7, 3, 3, 3], requiresGrad: true)
        for i in 0..<w.count { w.data[i] = (rng.nextFloat() * 2 - 1) * Float(1 + i % 5) }
        for i in 27..<54 { w.data[i] = 0 }                      // an all-zero channel
        w.data[60] = 2.5 * ((54...80).map { abs(w.data[$0]) }.max()! / 127)  // near a tie at half a step
        let exported = WeightQuantizer.perChannelSymmetric(w.scalars, channels: 7).dequantized()
        let y = fakeQuantizePerChannel(w)
        XCTAssertEqual(y.scalars.map(\.bitPattern), exported.map(\.bitPattern))
        // Straight-through: the gradient reaches every weight unchanged.
        sum(y).backward()
        XCTAssertEqual(w.gradScalars!, [Float](repeating: 1, count: w.count))
    }

    /// Activations: the values a Quantize then Dequantize would give, rounding half to even
    /// as the runtime's Quantize does; no gradient where the value was clipped.
    func testFakeQuantizedActivationsAndTheirClippedGradient() {
        let s: Float = 0.25, z: Int32 = 8
        let values: [Float] = [-3, -2, -1.875, -0.125, 0, 0.125, 0.375, 1.1, 60, 61.75, 62, 100]
        let x = Tensor(values, shape: [values.count], requiresGrad: true)
        let y = fakeQuantize(x, scale: s, zeroPoint: z)
        let expected = values.map { v -> Float in
            let q = max(0, min(255, Int32((v / s).rounded(.toNearestOrEven)) + z))
            return s * Float(q - z)
        }
        XCTAssertEqual(y.scalars, expected)
        XCTAssertEqual(y.scalars[5], 0)          // 0.125 / 0.25 = 0.5 rounds to the even 0
        XCTAssertEqual(y.scalars[6], 0.5)        // 1.5 rounds to 2
        sum(y).backward()
        // Codes below 0 (v < −2 − 1/8) and above 255 (v > 61.75 + 1/8) are clipped.
        XCTAssertEqual(x.gradScalars!, [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    }

    /// A model trained quantization-aware and exported: the integer simulation of the
    /// file (which the runtime matches bit for bit) makes the predictions the training's
    /// own forward pass makes, and its output codes are those of the fake-quantized
    /// logits to within one step (float summation order and the fixed-point
    /// requantization round differently only next to a tie). An MLP and a CNN.
    func testTheExportedModelIsTheModelTheTrainingSimulated() throws {
        let mlp = try ModelDescription(parsing: "name qat-mlp\ninput 1 8 8\nflatten\ndense 32\nrelu\ndropout 0.1\ndense 10\n", source: "qat-mlp")
        let cnn = try ModelDescription(parsing: "name qat-cnn\ninput 1 8 8\nconv 6 3x3 pad 1\nrelu\nmaxpool 2\nflatten\ndense 10\n", source: "qat-cnn")
        for d in [mlp, cnn] {
            let trainer = try Trainer(config: config(d, epochs: 6), description: d, splits: Self.digits)
            try trainer.run(checkpointPath: nil)
            let model = trainer.model
            let file = try PithFile(bytes: try PithWriter.encode(PostTrainingQuantizer.exportQuantizationAware(model, metadata: Metadata())).bytes)
            let simulation = IntegerSimulation(file.model())
            let runner = try Interpreter(file: file, maxBatch: Self.digits.test.count)
            let test = Self.digits.test
            let (x, _) = test.batch(Array(0..<test.count)[...])
            let simulated = model.predict(x)
            let runtime = try runner.run(x.scalars, batch: test.count)
            let e = model.fakeQuantization!.ranges.last!.encoding
            var farCodes = 0, offByOne = 0, differentPredictions = 0
            for i in 0..<test.count {
                let sample = Array(x.scalars[(i * test.featureCount)..<((i + 1) * test.featureCount)])
                let integer = try simulation.run(sample)
                XCTAssertEqual(integer, Array(runtime[(i * 10)..<((i + 1) * 10)]), "\(d.name): runtime and simulation, image \(i)")
                let trained = Array(UnsafeBufferPointer(start: simulated.data + i * 10, count: 10))
                for j in 0..<10 {
                    let steps = abs((integer[j] - trained[j]) / e.scale).rounded()
                    if steps > 1 { farCodes += 1 } else if steps == 1 { offByOne += 1 }
                }
                if argmax(integer) != argmax(trained) { differentPredictions += 1 }
            }
            XCTAssertEqual(farCodes, 0, "\(d.name): logits more than one step from the simulated training model")
            XCTAssertLessThanOrEqual(offByOne, test.count * 10 / 50, "\(d.name): \(offByOne) logits one step off")
            XCTAssertLessThanOrEqual(differentPredictions, 1, "\(d.name): predictions differ on \(differentPredictions) images")
            XCTAssertGreaterThan(Evaluation(model: model, data: test).accuracy, 0.85, "\(d.name) learned too little")
        }
    }

    /// A Transformer trained quantization-aware (every inner value of its block fake-quantized
    /// at the integer graph's points, q, k and v each with its own range): the exported
    /// file's runtime equals its simulation, and it predicts what the training's forward
    /// pass predicts on all but a few images — the integer LayerNorm, softmax (probabilities
    /// in 1/255) and exp tables are not simulated to the bit, so logits may differ by a few
    /// steps, never many.
    func testATransformerTrainedQuantizationAwareExportsWhatItSimulated() throws {
        let d = try ModelDescription(parsing: "name qat-attn\ninput 8 8\ndense 16\nposition\ntransformer-block heads 2 ff 32\nmean-tokens\nlayernorm\ndense 10\n",
                                     source: "qat-attn")
        // Two seeds (measured: at most 5 steps apart, 1 and 0 predictions of 360 differ).
        for seed: UInt64 in [3, 4] {
            let trainer = try Trainer(config: config(d, epochs: 8, seed: seed), description: d, splits: Self.digits)
            try trainer.run(checkpointPath: nil)
            let model = trainer.model
            XCTAssertEqual(model.fakeQuantization?.points, 1 + 1 + 12 + 3)
            let file = try PithFile(bytes: try PithWriter.encode(PostTrainingQuantizer.exportQuantizationAware(model, metadata: Metadata())).bytes)
            let simulation = IntegerSimulation(file.model())
            let test = Self.digits.test
            XCTAssertEqual(try IntegerSimulationTests.differingImages(file, simulation, test, count: 60), 0, "runtime and simulation")
            let runner = try Interpreter(file: file, maxBatch: test.count)
            let (x, _) = test.batch(Array(0..<test.count)[...])
            let simulated = model.predict(x)
            let runtime = try runner.run(x.scalars, batch: test.count)
            let e = model.fakeQuantization!.ranges.last!.encoding
            var differentPredictions = 0, farthest: Float = 0
            for i in 0..<test.count {
                let integer = Array(runtime[(i * 10)..<((i + 1) * 10)]), trained = Array(UnsafeBufferPointer(start: simulated.data + i * 10, count: 10))
                for j in 0..<10 { farthest = max(farthest, abs((integer[j] - trained[j]) / e.scale).rounded()) }
                if argmax(integer) != argmax(trained) { differentPredictions += 1 }
            }
            XCTAssertLessThanOrEqual(farthest, 8, "seed \(seed): logits this many steps from the simulated training model")
            XCTAssertLessThanOrEqual(differentPredictions, test.count / 100, "predictions differ on \(differentPredictions) of \(test.count) images")
            XCTAssertGreaterThan(Evaluation(model: model, data: test).accuracy, 0.85, "learned too little")
        }
    }

    /// Tracked ranges travel in the checkpoint; a resumed quantization-aware run ends
    /// where an uninterrupted one ends, ranges included.
    func testRangesSurviveTheCheckpointAndResume() throws {
        let d = try ModelDescription(parsing: "name qat-mlp\ninput 1 8 8\nflatten\ndense 16\nrelu\ndense 10\n", source: "qat-mlp")
        let splits = DataSplits(train: Self.digits.train.slice(0..<400), validation: Self.digits.validation.slice(0..<100), test: Self.digits.test)
        let folder = NSTemporaryDirectory() + "pith-qat-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let straight = try Trainer(config: config(d, epochs: 3), description: d, splits: splits)
        try straight.run(checkpointPath: folder + "/a.ckpt")
        let first = try Trainer(config: config(d, epochs: 3), description: d, splits: splits)
        try first.run(checkpointPath: folder + "/b.ckpt", stopAfter: 1)
        let checkpoint = try Checkpoint(path: folder + "/b.ckpt")
        XCTAssertEqual(checkpoint.activationRanges, first.model.fakeQuantization?.ranges)
        XCTAssertEqual(checkpoint.activationRanges?.count, 3)
        let resumed = try Trainer(resuming: checkpoint, path: folder + "/b.ckpt", splits: splits)
        try resumed.run(checkpointPath: folder + "/b.ckpt")
        XCTAssertEqual(resumed.model.parameters.map(\.scalars), straight.model.parameters.map(\.scalars))
        XCTAssertEqual(resumed.model.fakeQuantization?.ranges, straight.model.fakeQuantization?.ranges)
        XCTAssertEqual(try Checkpoint(path: folder + "/a.ckpt").model(path: "a").fakeQuantization?.ranges,
                       straight.model.fakeQuantization?.ranges)
    }

    func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] }! }
}
