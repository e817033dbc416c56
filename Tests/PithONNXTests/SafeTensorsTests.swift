import Foundation
import PithNN
@testable import PithONNX
import PithTensor
import XCTest

/// safetensors: PyTorch's state dict (the fixture MLP's, safetensors.torch.save_file) read
/// onto its model description gives PyTorch's outputs; Pith's own files round-trip; hostile
/// headers get one line.
final class SafeTensorsTests: XCTestCase {
    let mlp = "name mlp\ninput 1 8 8\nflatten\ndense 24\nrelu\ndropout 0.1\ndense 16\ntanh\ndense 10\n"

    func testAPyTorchStateDictLoadsOntoItsDescription() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "mlp", withExtension: "safetensors", subdirectory: "Fixtures"))
        let entries = try SafeTensors.decode([UInt8](try Data(contentsOf: url)), path: "mlp.safetensors")
        // PyTorch's names (Sequential indices), in the file's own order: biases first.
        XCTAssertEqual(entries.map(\.name).sorted(), ["1.bias", "1.weight", "4.bias", "4.weight", "6.bias", "6.weight"])
        let model = try SafeTensors.model(try ModelDescription(parsing: mlp, source: "mlp"), entries: entries, path: "mlp.safetensors")
        let expected = try XCTUnwrap(Bundle.module.url(forResource: "mlp.expected", withExtension: "txt", subdirectory: "Fixtures"))
        let lines = try String(contentsOf: expected, encoding: .utf8).split(separator: "\n")
        for i in stride(from: 1, to: lines.count, by: 2) {
            let x = lines[i].split(separator: " ").map { Float($0)! }, want = lines[i + 1].split(separator: " ").map { Float($0)! }
            let y = model.predict(Tensor(x, shape: [1, 1, 8, 8]))
            for j in 0..<want.count { XCTAssertEqual(y.data[j], want[j], accuracy: 1e-5 * max(1, abs(want[j]))) }
        }
    }

    func testPithsOwnFilesRoundTrip() throws {
        let model = Model(try ModelDescription(parsing: mlp, source: "mlp"), seed: 7)
        let bytes = SafeTensors.encode(zip(model.parameterNames, model.parameters).map { ($0, $1.shape, $1.scalars) }, metadata: ["pith.model": mlp])
        XCTAssertEqual(bytes.count % 4, 0)
        let entries = try SafeTensors.decode(bytes, path: "m")
        XCTAssertEqual(entries.map(\.name), model.parameterNames)
        let back = try SafeTensors.model(model.description, entries: entries, path: "m")
        for (a, b) in zip(model.parameters, back.parameters) { XCTAssertEqual(a.scalars, b.scalars) }
    }

    func testHostileHeadersGetOneLine() throws {
        func file(_ header: String, data: Int = 0) -> [UInt8] {
            let h = Array(header.utf8)
            return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(h.count) >> UInt64(8 * $0)) } + h + [UInt8](repeating: 0, count: data)
        }
        let cases: [([UInt8], String)] = [
            ([1, 2, 3], "shorter than the 8-byte header length"),
            ([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0x7B], "past the file"),
            (file("[1, 2]"), "not a JSON object"),
            (file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}", data: 8), "do not hold 2 F32 values"),
            (file("{\"a\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[0,2]}}", data: 2), "dtype I8"),
            (file("{\"a\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,4]}}", data: 4), "more than 2^28 values"),
            (file("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", data: 4), "negative"),
            (file("{\"a\":{\"shape\":[1]}}"), "are required"),
        ]
        for (bytes, fragment) in cases {
            XCTAssertThrowsError(try SafeTensors.decode(bytes, path: "w.safetensors")) { XCTAssert("\($0)".contains(fragment), "\($0): expected '\(fragment)'") }
        }
        // Well formed, but not this model's: one line naming the tensor and the parameter.
        let entries = try SafeTensors.decode(file("{\"x.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data: 4), path: "w")
        XCTAssertThrowsError(try SafeTensors.model(try ModelDescription(parsing: mlp, source: "mlp"), entries: entries, path: "w")) {
            XCTAssert("\($0)".contains("holds 1 tensors; model 'mlp' has 6 parameters"), "\($0)")
        }
    }
}
