import PithFormat
import PithNN
import PithQuant
import XCTest

/// The exported files, byte for byte: XXH64 of the (uncompressed) encoding of fixed models
/// through every export path — `pack` (float32 and weight-only int8), `quantize` (the
/// integer graph, with fixed activation ranges) and the standardization prefix in front of
/// each. The expected hashes were computed by the exporters as they stood before the one
/// graph emitter replaced them (GraphExport.pithModel and PostTrainingQuantizer.build each
/// writing the graph), so this test holds the emitter to the files they wrote.
///
/// Only what is exact on every machine goes in: weights from `Model(_:seed:)` (PithRandom),
/// per-channel weight quantization (plain Swift), fixed ranges. Calibration runs the float
/// model (BLAS), whose last bits may differ between machines, so it is left out here.
final class ExportBytesTests: XCTestCase {
    static let mlp = "name bytes-mlp\ninput 1 8 8\nflatten\ndense 32\nrelu\ndropout 0.1\ndense 10\n"
    static let cnn = "name bytes-cnn\ninput 1 8 8\nconv 6 3x3 pad 1\nrelu\nmaxpool 2\nconv 4 3x3 stride 2 pad 1\nrelu\navgpool 2 stride 1\nflatten\ndense 10\n"
    static let table = "name bytes-table\ninput 5\ndense 8\nrelu\ndense 3\n"

    func model(_ text: String, seed: UInt64) throws -> Model {
        Model(try ModelDescription(parsing: text, source: "bytes"), seed: seed)
    }

    /// Fixed ranges, one per quantization point: the input, then each weighted layer's output.
    func ranges(_ count: Int) -> [ActivationRange] {
        (0..<count).map { k -> ActivationRange in
            let n = Float(k + 1)
            let lo: Float = k % 2 == 0 ? -0.375 * n : 0
            return ActivationRange(lo: lo, hi: 1.125 * n + 0.0625)
        }
    }

    static let standardization = Standardization(mean: [0.5, -2, 10, 0, 3.25], inverseDeviation: [2, 0.125, 0.01, 1, 4])

    func hash(_ m: PithModel) throws -> String {
        var options = WriteOptions()
        options.dataLevel = nil
        options.structureLevel = nil
        return String(XXH64.hash(try PithWriter.encode(m, options: options).bytes), radix: 16)
    }

    func metadata(_ name: String) -> Metadata {
        var m = Metadata()
        m["model.name"] = .string(name)
        return m
    }

    /// The integer graph of `model` with `ranges` at its quantization points.
    func integer(_ model: Model, ranges: [ActivationRange]) throws -> PithModel {
        model.fakeQuantization = try FakeQuantization(model.description, ranges: ranges)
        defer { model.fakeQuantization = nil }
        return try PostTrainingQuantizer.exportQuantizationAware(model, metadata: metadata(model.description.name))
    }

    func testExportedFilesAreTheBytesTheOldExportersWrote() throws {
        var got: [String: String] = [:]
        for (name, text, points) in [("mlp", Self.mlp, 3), ("cnn", Self.cnn, 4), ("table", Self.table, 3)] {
            let m = try model(text, seed: 11)
            for precision in WeightPrecision.allCases {
                let packed = try GraphExport.pithModel(m, weights: precision, metadata: metadata(name))
                got["\(name) pack \(precision)"] = try hash(packed)
                if name == "table" {
                    got["\(name) pack \(precision) standardized"] = try hash(try StandardizationExport.prepend(Self.standardization, to: packed))
                }
            }
            let quantized = try integer(m, ranges: ranges(points))
            got["\(name) quantize"] = try hash(quantized)
            if name == "table" {
                got["\(name) quantize standardized"] = try hash(try StandardizationExport.prepend(Self.standardization, to: quantized))
            }
        }
        let expected: [String: String] = [
            "cnn pack float32": "61697ac900a4adad",
            "cnn pack int8": "1ad038cb70fa85dc",
            "cnn quantize": "2c44f8bbc24505d2",
            "mlp pack float32": "5725f6fa0e32fc6d",
            "mlp pack int8": "d3e44ee44cba4d00",
            "mlp quantize": "22a5cd2590dcd35d",
            "table pack float32": "458b5feab707cc03",
            "table pack float32 standardized": "9590203593781a18",
            "table pack int8": "f37f2136be3d2f59",
            "table pack int8 standardized": "524b716c335bf0",
            "table quantize": "309758e45e2701ca",
            "table quantize standardized": "dab4fda6a72a0b9c",
        ]
        for key in expected.keys.sorted() { XCTAssertEqual(got[key], expected[key], key) }
        XCTAssertEqual(got.count, expected.count)
    }
}
