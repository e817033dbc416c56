import Foundation
import PithNN
import XCTest

final class ModelDescriptionTests: XCTestCase {
    /// Each reference workload's file against the parameter counts in the reference workloads (docs/models.md).
    func testReferenceWorkloadParameterCounts() throws {
        let expected = ["mlp-teacher": 2_395_210, "mlp-student": 1_276_810, "mlp-tiny": 50_890,
                        "cnn-teacher": 3_274_634, "cnn-student": 9_098,
                        "rnn-teacher": 81_674, "attn-teacher": 71_370, "rnn-student": 8_138, "attn-student": 6_538]
        for (name, count) in expected {
            let path = "\(repositoryRoot)/models/\(name).model"
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let d = try ModelDescription(parsing: text, source: path)
            XCTAssertEqual(d.name, name)
            XCTAssertEqual(d.parameterCount, count, name)
            XCTAssertEqual(d.classes, 10)
            XCTAssertEqual(d.inputFeatures, 784)
            XCTAssertEqual(try ModelDescription(parsing: d.text, source: "round trip"), d)
        }
    }

    func testShapesFollowTheLayers() throws {
        let d = try ModelDescription(parsing: "input 1 28 28\nconv 32 5x5 pad 2\nmaxpool 2\nconv 8 3x3 stride 2\nflatten\ndense 10", source: "m")
        XCTAssertEqual(d.shapes, [[1, 28, 28], [32, 28, 28], [32, 14, 14], [8, 6, 6], [288], [10]])
    }

    func testSequenceShapesAndParameters() throws {
        let d = try ModelDescription(parsing: "input 28 28\ndense 64\nposition\ntransformer-block heads 4 ff 128\nmean-tokens\nlayernorm\ndense 10", source: "m")
        XCTAssertEqual(d.shapes, [[28, 28], [28, 64], [28, 64], [28, 64], [64], [64], [10]])
        XCTAssertEqual(d.parameterShapes, [[64, 28], [64], [28, 64],
                                           [64], [64], [192, 64], [192], [64, 64], [64], [64], [64], [128, 64], [128], [64, 128], [64],
                                           [64], [64], [10, 64], [10]])
        let r = try ModelDescription(parsing: "input 28 28\nlstm 16 sequence\nlstm 8\ndense 10", source: "r")
        XCTAssertEqual(r.shapes, [[28, 28], [28, 16], [8], [10]])
        XCTAssertEqual(r.parameterShapes, [[64, 28], [64, 16], [64], [32, 16], [32, 8], [32], [10, 8], [10]])
        XCTAssertEqual(try ModelDescription(parsing: r.text, source: "round trip"), r)
        // The model's tensors are the description's, in order and shape.
        for description in [d, r] {
            XCTAssertEqual(Model(description, seed: 1).parameters.map(\.shape), description.parameterShapes)
        }
        XCTAssertEqual(Model(r, seed: 1).parameterNames, ["layer1.weight_ih", "layer1.weight_hh", "layer1.bias",
                                                          "layer2.weight_ih", "layer2.weight_hh", "layer2.bias", "layer3.weight", "layer3.bias"])
    }

    func testMalformedFilesNameTheLine() {
        let cases: [(String, String)] = [
            ("input 784\ndense 10\nfoo 3", "m:3: unknown keyword 'foo'"),
            ("input 784\ndense -5", "m:2: 'dense' needs a positive whole number"),
            ("input 784\ndense", "m:2: 'dense' needs one number"),
            ("input 1 28 28\ndense 10", "layer 1 'dense 10': dense needs a flat (F) or sequence (T, F) input"),
            ("input 784\nlstm 8\ndense 10", "lstm needs a sequence (T, F) input"),
            ("input 28 28\nlstm 8 backwards\ndense 10", "'lstm' needs its hidden size"),
            ("input 28 30\ntransformer-block heads 4 ff 8\nmean-tokens\ndense 10", "width 30 does not split into 4 heads"),
            ("input 28 32\ntransformer-block heads 4\nmean-tokens\ndense 10", "'transformer-block' needs 'heads N ff N'"),
            ("input 28 32\ntransformer-block heads 0 ff 8\nmean-tokens\ndense 10", "'transformer-block' needs 'heads N ff N'"),
            ("input 32\nposition\ndense 10", "position needs a sequence (T, D) input"),
            ("input 28 32\nmean-tokens extra\ndense 10", "'mean-tokens' takes no arguments"),
            ("input 28 32\nlayernorm\n", "the last layer must give a flat vector"),
            ("input 2048 8\ntransformer-block heads 1 ff 8\nmean-tokens\ndense 10", "values per sample over the layers"),
            ("input 1 4 4\nconv 3 7x7\nflatten\ndense 2", "larger than its padded input"),
            ("input 784\nconv 3 3x3\n", "conv needs a (C, H, W) input"),
            ("dense 10", "no 'input' line"),
            ("input 784", "no layers"),
            ("input 784\ndropout 1.5\ndense 10", "'dropout' needs a probability"),
            ("input 784\nconv 8 3x5\n", "must be square"),
            ("input 1 8 8\nflatten\ndense 10\nrelu extra", "'relu' takes no arguments"),
            ("input 1 8 8\nconv 4 3x3\n", "the last layer must give a flat vector"),
            ("input 99999999\ndense 10", "positive whole number"),
        ]
        for (text, fragment) in cases {
            XCTAssertThrowsError(try ModelDescription(parsing: text, source: "m"), text) { error in
                XCTAssert("\(error)".contains(fragment), "'\(error)' should contain '\(fragment)'")
                XCTAssertFalse("\(error)".contains("\n"), "one line: \(error)")
            }
        }
    }
}
