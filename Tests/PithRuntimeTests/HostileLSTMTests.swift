@testable import PithFormat
@testable import PithRuntime
import XCTest

/// Integer LSTM files (op 12) that are checksummed and well formed and still wrong: each
/// is refused with one typed error naming the node, before its weights are copied.
final class HostileLSTMTests: XCTestCase {
    /// x (T 3, F 2) uint8 → LSTM H `hidden` → y (H) uint8, with the given weight rows, bias and attributes.
    func lstmModel(hidden: Int = 2, weightRows: Int? = nil, bias: Int32 = 5, attributes: [Attribute] = [Attribute("cell_shift", 11)]) -> PithModel {
        var m = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let rows = weightRows ?? 4 * hidden
        let x = m.addValue("x", dtype: .uint8, shape: [3, 2], quantization: .perTensor(scale: 0.01, zeroPoint: 0))
        let scales = [Float](repeating: 0.01, count: rows), zeros = [Int32](repeating: 0, count: rows)
        let w = m.addConstant("w", dtype: .int8, shape: [rows, 2], bytes: (0 ..< rows * 2).map { UInt8($0 % 7) },
                              quantization: .perChannel(axis: 0, scales: scales, zeroPoints: zeros))
        let u = m.addConstant("u", dtype: .int8, shape: [rows, hidden], bytes: (0 ..< rows * hidden).map { UInt8($0 % 5) },
                              quantization: .perChannel(axis: 0, scales: scales, zeroPoints: zeros))
        let b = m.addConstant("b", dtype: .int32, shape: [rows], bytes: (0 ..< rows).flatMap { _ in withUnsafeBytes(of: bias.littleEndian) { Array($0) } })
        let y = m.addValue("y", dtype: .uint8, shape: [hidden], quantization: .perTensor(scale: 1.0 / 128, zeroPoint: 128))
        m.graph = Graph(inputs: [x], outputs: [y], nodes: [Node(op: .lstm, name: "lstm", inputs: [x, w, u, b], outputs: [y], attributes: attributes)])
        return m
    }

    func refusal(_ m: PithModel) -> String? {
        do {
            let file = try PithFile(bytes: try PithWriter.encode(m, validate: false).bytes)
            _ = try Interpreter(file: file)
            return nil
        } catch { return "\(error)" }
    }

    func testAGoodLSTMRunsAndBadOnesAreRefused() throws {
        let good = try Interpreter(file: try PithFile(bytes: try PithWriter.encode(lstmModel()).bytes))
        XCTAssertEqual(good.outputShape, [2])
        let bias = Int32.max - 2 * 255 * 128 * 2 + 1
        let cases: [(PithModel, String)] = [
            (lstmModel(attributes: []), "needs attribute"),
            (lstmModel(attributes: [Attribute("cell_shift", 16)]), "outside 0...15"),
            (lstmModel(attributes: [Attribute("cell_shift", 11), Attribute("sequence", 1)]), "the op gives [3, 2]"),
            (lstmModel(weightRows: 6), "is not (4H, H)"),
            (lstmModel(bias: bias), "its int32 accumulator could overflow"),
        ]
        for (model, fragment) in cases {
            let message = refusal(model)
            XCTAssertNotNil(message, fragment)
            XCTAssert(message?.contains(fragment) == true, "\(message ?? "accepted"): expected '\(fragment)'")
            XCTAssert(message?.contains("lstm") == true || message?.contains("LSTM") == true, message ?? "")
        }
    }
}
