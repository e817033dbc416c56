import Foundation
import PithFormat
import PithNN
import PithQuant
import XCTest

/// Every reference workload, exported and read back: the weights come back bit for bit.
final class ExportRoundTripTests: XCTestCase {
    static let models = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models")

    func description(_ name: String) throws -> ModelDescription {
        let text = try String(contentsOf: Self.models.appendingPathComponent("\(name).model"), encoding: .utf8)
        return try ModelDescription(parsing: text, source: name)
    }

    func testReferenceWorkloadsRoundTripBitExactly() throws {
        for name in ["mlp-teacher", "mlp-student", "mlp-tiny", "cnn-teacher", "cnn-student"] {
            let model = Model(try description(name), seed: 3)
            let params = model.parameters
            for precision in WeightPrecision.allCases {
                var metadata = Metadata()
                metadata["model.name"] = .string(name)
                let exported = try GraphExport.pithModel(model, weights: precision, metadata: metadata)
                let file = try PithFile(bytes: try PithWriter.encode(exported).bytes)
                let constants = file.tensors.indices.filter { file.tensors[$0].role == .constant }
                XCTAssertEqual(constants.count, params.count, name)
                for (k, i) in constants.enumerated() {
                    let t = file.tensors[i], p = params[k]
                    XCTAssertEqual(t.shape, p.shape, "\(name) \(t.name)")
                    let isWeight = k % 2 == 0
                    if precision == .int8 && isWeight {
                        let q = WeightQuantizer.perChannelSymmetric(p.scalars, channels: p.shape[0])
                        XCTAssertEqual(Array(file.data(of: i)), q.bytes, "\(name) \(t.name)")
                        XCTAssertEqual(t.quantization, .perChannel(axis: 0, scales: q.scales, zeroPoints: Array(repeating: 0, count: q.channels)))
                    } else {
                        XCTAssertEqual(t.dtype, .float32)
                        XCTAssertEqual(Array(file.data(of: i)), littleEndianBytes(p.scalars), "\(name) \(t.name) (\(precision))")
                    }
                }
                XCTAssertEqual(file.metadata.string("model.name"), name)
                XCTAssertEqual(file.graph.outputs.map { file.tensors[$0].name }, ["logits"])
            }
        }
    }

    func testQuantizerIsSymmetricPerChannelAndWithinHalfAStep() {
        let w: [Float] = [0.5, -1.0, 0.25, 0, 0, 0, 2, 1.999, -0.001]
        let q = WeightQuantizer.perChannelSymmetric(w, channels: 3)
        XCTAssertEqual(q.scales, [1.0 / 127, 1, 2.0 / 127])
        XCTAssertEqual(Array(q.values[0..<3]), [64, -127, 32])  // 63.5 rounds away from zero
        XCTAssertEqual(Array(q.values[3..<6]), [0, 0, 0])       // an all-zero channel keeps scale 1
        for (x, y) in zip(w, q.dequantized()) {
            XCTAssertLessThanOrEqual(abs(x - y), 2.0 / 127 / 2 + 1e-7)
        }
    }

    func testLayersWithoutAnOpAreRefused() throws {
        let d = try ModelDescription(parsing: "name g\ninput 4\ndense 3\ngelu\ndense 2\n", source: "g")
        XCTAssertThrowsError(try GraphExport.pithModel(Model(d, seed: 1), weights: .int8, metadata: Metadata())) { error in
            XCTAssert("\(error)".contains("gelu"), "\(error)")
        }
    }
}
