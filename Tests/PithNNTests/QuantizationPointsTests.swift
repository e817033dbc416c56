@testable import PithNN
import XCTest

/// The one rule for where the integer graph quantizes, and quantization-aware training
/// following it.
final class QuantizationPointsTests: XCTestCase {
    func description(_ layers: String, input: String = "1 8 8") throws -> ModelDescription {
        try ModelDescription(parsing: "name q\ninput \(input)\n" + layers, source: "q")
    }

    func testStagesFoldReLUAndNumberThePoints() throws {
        let d = try description("conv 4 3x3 pad 1\nrelu\nmaxpool 2\nconv 4 3x3\nmaxpool 2\nflatten\ndropout 0.5\ndense 16\nrelu\ndense 10\n")
        XCTAssertEqual(try QuantizationPoints.stages(d), [
            GraphStage(layer: 0, spec: .conv(filters: 4, kernel: 3, stride: 1, padding: 1), relu: true, point: 1),
            GraphStage(layer: 2, spec: .maxPool(kernel: 2, stride: 2)),
            GraphStage(layer: 3, spec: .conv(filters: 4, kernel: 3, stride: 1, padding: 0), relu: false, point: 2),
            GraphStage(layer: 4, spec: .maxPool(kernel: 2, stride: 2)),
            GraphStage(layer: 5, spec: .flatten),
            GraphStage(layer: 7, spec: .dense(units: 16), relu: true, point: 3),
            GraphStage(layer: 9, spec: .dense(units: 10), relu: false, point: 4),
        ])
        XCTAssertEqual(QuantizationPoints.count(try QuantizationPoints.stages(d)), 5)
    }

    /// Fake quantization sits where the stages end, in the order `Model.layers` runs them:
    /// `conv, relu, maxpool` runs as `conv, maxpool, relu`, so point 1 follows the ReLU at
    /// run position 2.
    func testFakeQuantizationFollowsTheStages() throws {
        let d = try description("conv 4 3x3 pad 1\nrelu\nmaxpool 2\nconv 4 3x3\nmaxpool 2\nflatten\ndropout 0.5\ndense 16\nrelu\ndense 10\n")
        XCTAssertEqual(Model.runOrder(d.layers), [0, 2, 1, 3, 4, 5, 6, 7, 8, 9])
        let fq = try FakeQuantization(d)
        XCTAssertEqual(fq.points, 5)
        XCTAssertEqual(fq.pointAfterLayer, [2: 1, 3: 2, 8: 3, 9: 4])
        let mlp = try FakeQuantization(try description("dense 8\nrelu\ndropout 0.1\ndense 3\n", input: "5"))
        XCTAssertEqual(mlp.pointAfterLayer, [1: 1, 3: 2])
    }

    /// A sequence model's stages: the position embedding folded into the Dense before it,
    /// twelve points for each Transformer block, one for LayerNorm, the mean and a lookup.
    /// Quantization-aware training quantizes at the same points (an LSTM it refuses); a
    /// position embedding after anything but a Dense layer has no integer graph.
    func testSequenceStagesAndTheirPoints() throws {
        let d = try ModelDescription(parsing: "name s\ninput 6 5\ndense 8\nposition\ntransformer-block heads 2 ff 16\nmean-tokens\nlayernorm\ndense 12\ngelu\ndense 10\n", source: "s")
        let stages = try QuantizationPoints.stages(d)
        XCTAssertEqual(stages.map(\.layer), [0, 2, 3, 4, 5, 6, 7])
        XCTAssertEqual(stages.map(\.point), [1, 2, 14, 15, 16, 17, 18])
        XCTAssertEqual(stages.map(\.outputPoint), [1, 13, 14, 15, 16, 17, 18])
        XCTAssertTrue(stages[0].position)
        XCTAssertEqual(stages[0].end, 1)
        XCTAssertEqual(QuantizationPoints.count(stages), 19)
        // Fake quantization: the Dense + position point after the position layer, the block's
        // first point handed to the block and its output after it, then one a layer.
        let fq = try FakeQuantization(d)
        XCTAssertEqual(fq.points, 19)
        XCTAssertEqual(fq.pointAfterLayer, [1: 1, 2: 13, 3: 14, 4: 15, 5: 16, 6: 17, 7: 18])
        XCTAssertEqual(fq.blockPoints, [2: 2])
        let rnn = try ModelDescription(parsing: "name r\ninput 6 5\nlstm 8\ndense 10\n", source: "r")
        XCTAssertThrowsError(try FakeQuantization(rnn)) { XCTAssert("\($0)".contains("does not simulate the integer LSTM yet"), "\($0)") }
        let bare = try ModelDescription(parsing: "name b\ninput 6 5\nposition\nmean-tokens\ndense 10\n", source: "b")
        XCTAssertThrowsError(try QuantizationPoints.stages(bare)) { XCTAssert("\($0)".contains("layer 1 is a position embedding that does not follow a Dense layer"), "\($0)") }
    }

    /// What the integer graph cannot hold, quantization-aware training refuses too.
    func testUnquantizableModelsAreRefusedByBoth() throws {
        let cases = [
            ("conv 4 3x3\nmaxpool 2\nrelu\nflatten\ndense 10\n", "layer 3 is a ReLU that does not follow"),
            ("flatten\ndense 8\ndropout 0.2\nrelu\ndense 10\n", "layer 4 is a ReLU that does not follow"),
            ("flatten\nrelu\ndense 10\n", "layer 2 is a ReLU that does not follow"),
        ]
        for (layers, fragment) in cases {
            let d = try description(layers)
            XCTAssertThrowsError(try QuantizationPoints.stages(d)) { XCTAssert("\($0)".contains(fragment), "\($0)") }
            XCTAssertThrowsError(try FakeQuantization(d)) { XCTAssert("\($0)".contains(fragment), "\($0)") }
        }
        let d = try description("dense 8\nrelu\ndense 3\n", input: "5")
        XCTAssertThrowsError(try FakeQuantization(d, ranges: [ActivationRange()])) {
            XCTAssert("\($0)".contains("1 activation ranges; model 'q' has 3 quantization points"), "\($0)")
        }
    }
}
