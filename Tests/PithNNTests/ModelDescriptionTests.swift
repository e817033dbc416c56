import Foundation
import PithNN
import XCTest

final class ModelDescriptionTests: XCTestCase {
    /// Each reference workload's file against the parameter counts in the reference workloads (docs/models.md).
    func testReferenceWorkloadParameterCounts() throws {
        let expected = ["mlp-teacher": 2_395_210, "mlp-student": 1_276_810, "mlp-tiny": 50_890,
                        "cnn-teacher": 3_274_634, "cnn-student": 9_098]
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

    func testMalformedFilesNameTheLine() {
        let cases: [(String, String)] = [
            ("input 784\ndense 10\nfoo 3", "m:3: unknown keyword 'foo'"),
            ("input 784\ndense -5", "m:2: 'dense' needs a positive whole number"),
            ("input 784\ndense", "m:2: 'dense' needs one number"),
            ("input 1 28 28\ndense 10", "layer 1 'dense 10': dense needs a flat input"),
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
