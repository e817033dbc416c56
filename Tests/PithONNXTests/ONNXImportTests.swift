import Foundation
import PithFormat
import PithNN
@testable import PithONNX
import PithTensor
import XCTest

/// ONNX import against PyTorch itself: small models exported by both of PyTorch's exporters
/// (tools/onnx-fixtures: TorchScript at opset 17, dynamo at opset 18; an MLP, a CNN and an
/// LSTM over rows) import to Pith models
/// whose float outputs are PyTorch's to 1e-5; hostile files get one line.
final class ONNXImportTests: XCTestCase {
    func fixture(_ name: String) throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    }

    func testPyTorchExportsImportToTheSameOutputs() throws {
        for name in ["mlp", "cnn", "lstm"] {
            let lines = try String(contentsOf: fixture("\(name).expected.txt"), encoding: .utf8).split(separator: "\n")
            for exporter in name == "lstm" ? ["torchscript"] : ["torchscript", "dynamo"] {
                let bytes = [UInt8](try Data(contentsOf: fixture("\(name)-\(exporter).onnx")))
                let imported = try ONNXImport(try ONNXModel(bytes: bytes), name: name)
                let model = imported.model()
                for i in stride(from: 1, to: lines.count, by: 2) {
                    let x = lines[i].split(separator: " ").map { Float($0)! }, want = lines[i + 1].split(separator: " ").map { Float($0)! }
                    let y = model.predict(Tensor(x, shape: [1] + model.description.inputShape))
                    XCTAssertEqual(y.count, want.count, "\(name) \(exporter)")
                    for j in 0..<want.count {
                        XCTAssertEqual(y.data[j], want[j], accuracy: 1e-5 * max(1, abs(want[j])), "\(name) \(exporter): output \(j) of input \(i / 2)")
                    }
                }
            }
        }
    }

    func testTheLayersAreWhatPyTorchBuilt() throws {
        let bytes = [UInt8](try Data(contentsOf: fixture("cnn-dynamo.onnx")))
        let d = try ONNXImport(try ONNXModel(bytes: bytes), name: "cnn").description
        XCTAssertEqual(d.inputShape, [1, 8, 8])
        XCTAssertEqual(d.layers.map(\.text), ["conv 4 3x3 pad 1", "relu", "maxpool 2", "conv 6 3x3", "gelu", "avgpool 2", "flatten", "dense 10", "sigmoid"])
        // The LSTM's rows: the input reshaped to 8 tokens of 8, the last hidden state.
        let lstm = try ONNXImport(try ONNXModel(bytes: [UInt8](try Data(contentsOf: fixture("lstm-torchscript.onnx")))), name: "lstm").description
        XCTAssertEqual(lstm.inputShape, [8, 8])
        XCTAssertEqual(lstm.layers.map(\.text), ["lstm 6", "dense 10"])
    }

    func testHostileFilesGetOneLine() throws {
        let good = [UInt8](try Data(contentsOf: fixture("mlp-torchscript.onnx")))
        // Every truncation of the file fails cleanly (or, cut at a field boundary, imports
        // less and is refused by the lowering), never crashes.
        for cut in stride(from: 0, to: good.count, by: max(1, good.count / 300)) {
            do { _ = try ONNXImport(try ONNXModel(bytes: Array(good[0..<cut])), name: "m") } catch {
                XCTAssertFalse("\(error)".contains("\n"), "\(error)")
            }
        }
        let cases: [([UInt8], String)] = [
            ([0x3A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F], "runs past the end"),               // graph of 4 GiB
            ([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "longer than 10 bytes"),
            ([0x0B], "wire type 3"),                                                      // a group
            ([0x08, 0x07], "model.graph: is missing"),
            // graph { initializer { dims: 2^40, data_type: 1 } }
            ([0x3A, 0x0B, 0x2A, 0x09, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x10, 0x01], "holds more than"),
            // graph { node { op_type: "Foo", input: "x" } } with no input: refused by the lowering
            ([0x3A, 0x0A, 0x0A, 0x08, 0x22, 0x03, 0x46, 0x6F, 0x6F, 0x0A, 0x01, 0x78], "inputs besides the weights"),
        ]
        for (bytes, fragment) in cases {
            XCTAssertThrowsError(try ONNXImport(try ONNXModel(bytes: bytes), name: "m")) { error in
                XCTAssert("\(error)".contains(fragment), "\(error): expected '\(fragment)'")
            }
        }
    }

    /// The fuzzer's finds, kept as seeds (tools/fuzz/corpus/onnx-reader): each is refused
    /// with one line, never a trap.
    func testTheFuzzersFindsAreRefusedWithOneLine() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/fuzz/corpus/onnx-reader")
        let expected = ["transpose-without-inputs.onnx": "(Transpose, opset 17): has no inputs", "reshape-product-overflow.onnx": "reshape to",
                        "div-not-gelu.onnx": "op Div is not imported", "gemm-integer-bias.onnx": "must be a float32 tensor"]
        for (name, fragment) in expected {
            let bytes = [UInt8](try Data(contentsOf: corpus.appendingPathComponent(name)))
            XCTAssertThrowsError(try ONNXImport(try ONNXModel(bytes: bytes), name: "m"), name) { error in
                XCTAssertFalse("\(error)".contains("\n"), "\(name): \(error)")
                XCTAssert("\(error)".contains(fragment), "\(name): \(error): expected '\(fragment)'")
            }
        }
    }
}

/// ONNX export: a Pith model written as ONNX reads back through the importer to the same
/// layers and the same outputs (ONNX Runtime runs the files in tools/bench/onnx_export_check.py).
final class ONNXExportTests: XCTestCase {
    func testExportedModelsImportBackToTheSameOutputs() throws {
        let texts = ["name m\ninput 1 8 8\nflatten\ndense 24\nrelu\ndropout 0.2\ndense 16\ngelu\ndense 10\n",
                     "name c\ninput 1 8 8\nconv 4 3x3 pad 1\nrelu\nmaxpool 2\nconv 6 3x3 stride 1\ntanh\navgpool 2\nflatten\ndense 10\nsigmoid\n"]
        var rng = PithRandom(seed: 3)
        for text in texts {
            let model = Model(try ModelDescription(parsing: text, source: "m"), seed: 4)
            let back = try ONNXImport(try ONNXModel(bytes: try ONNXExport.bytes(model)), name: "m")
            XCTAssertEqual(back.description.layers, model.description.layers.filter { if case .dropout = $0 { return false } else { return true } })
            let x = Tensor((0..<128).map { _ in rng.nextFloat() }, shape: [2, 1, 8, 8])
            let want = model.predict(x), got = back.model().predict(x)
            for i in 0..<want.count { XCTAssertEqual(got.data[i], want.data[i], accuracy: 1e-6, "\(text): output \(i)") }
        }
    }

    func testSequenceModelsAreNotExportedYet() throws {
        let model = Model(try ModelDescription(parsing: "name r\ninput 8 8\nlstm 8\ndense 10\n", source: "r"), seed: 1)
        XCTAssertThrowsError(try ONNXExport.bytes(model)) { XCTAssert("\($0)".contains("'lstm 8' is not exported to ONNX yet"), "\($0)") }
    }
}

/// The integer model as QDQ ONNX: the graph the export writes decodes, with a Quantize and
/// Dequantize pair at every uint8 value and int8 weights behind DequantizeLinear (ONNX
/// Runtime runs these files in tools/bench/onnx_export_check.py: the same classes as
/// PithRuntime on 9,999 and 10,000 of 10,000 MNIST test images).
final class QDQExportTests: XCTestCase {
    func testAnIntegerGraphBecomesQDQ() throws {
        var m = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let x = m.addValue("input", dtype: .float32, shape: [4])
        let q = m.addValue("input.q", dtype: .uint8, shape: [4], quantization: .perTensor(scale: 0.01, zeroPoint: 0))
        let w = m.addConstant("fc.weight", dtype: .int8, shape: [3, 4], bytes: [UInt8](repeating: 2, count: 12),
                              quantization: .perChannel(axis: 0, scales: [0.1, 0.2, 0.3], zeroPoints: [0, 0, 0]))
        let b = m.addConstant("fc.bias", dtype: .int32, shape: [3], bytes: [UInt8](repeating: 0, count: 12))
        let y = m.addValue("fc", dtype: .uint8, shape: [3], quantization: .perTensor(scale: 0.05, zeroPoint: 10))
        let out = m.addValue("logits", dtype: .float32, shape: [3])
        m.graph = Graph(inputs: [x], outputs: [out], nodes: [
            Node(op: .quantize, name: "quantize", inputs: [x], outputs: [q]),
            Node(op: .dense, name: "fc", inputs: [q, w, b], outputs: [y], attributes: [Attribute("relu", 1)]),
            Node(op: .dequantize, name: "dequantize", inputs: [y], outputs: [out]),
        ])
        let onnx = try ONNXModel(bytes: try ONNXExport.qdqBytes(m))
        XCTAssertEqual(onnx.opset, 17)
        XCTAssertEqual(onnx.graph.nodes.map(\.opType), ["QuantizeLinear", "DequantizeLinear", "DequantizeLinear", "DequantizeLinear", "Gemm", "Relu",
                                                        "QuantizeLinear", "DequantizeLinear", "Identity"])
        XCTAssertEqual(onnx.graph.outputs.map(\.name), ["logits"])
        // A graph with an op QDQ does not hold: one line naming the node.
        m.graph.nodes[1] = Node(op: .lstm, name: "rnn", inputs: [q, w, w], outputs: [y], attributes: [Attribute("cell_shift", 11)])
        XCTAssertThrowsError(try ONNXExport.qdqBytes(m)) { XCTAssert("\($0)".contains("node 'rnn': LSTM is not exported to QDQ ONNX yet"), "\($0)") }
    }
}
