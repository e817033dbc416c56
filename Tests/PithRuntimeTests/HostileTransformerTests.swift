@testable import PithFormat
@testable import PithRuntime
import XCTest

/// Integer Transformer files (ops 13–16, the uint8 Add, Dense over tokens) that are
/// checksummed and well formed and still wrong: each is refused with one typed error naming
/// the node, before anything is run.
final class HostileTransformerTests: XCTestCase {
    let q8: Quantization = .perTensor(scale: 0.05, zeroPoint: 128)

    /// x (T 4, D 6) uint8 → one `op` node → y, built by `body` (which returns the node's
    /// inputs, output and attributes).
    func model(_ op: OpCode, _ body: (inout PithModel, Int) -> ([Int], Int, [Attribute])) -> PithModel {
        var m = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let x = m.addValue("x", dtype: .uint8, shape: [4, 6], quantization: q8)
        let (inputs, y, attributes) = body(&m, x)
        m.graph = Graph(inputs: [x], outputs: [y], nodes: [Node(op: op, name: "node", inputs: inputs, outputs: [y], attributes: attributes)])
        return m
    }

    func floats(_ m: inout PithModel, _ name: String, _ values: [Float]) -> Int {
        m.addConstant(name, dtype: .float32, shape: [values.count], bytes: littleEndianBytes(values))
    }

    func layerNorm(gamma: [Float] = [Float](repeating: 1, count: 6), outScale: Float = 0.05, epsilon: Int64? = nil) -> PithModel {
        model(.layerNorm) { m, x in
            let g = floats(&m, "g", gamma), b = floats(&m, "b", [Float](repeating: 0, count: gamma.count))
            let y = m.addValue("y", dtype: .uint8, shape: [4, 6], quantization: .perTensor(scale: outScale, zeroPoint: 128))
            return ([x, g, b], y, epsilon.map { [Attribute("epsilon_exponent", $0)] } ?? [])
        }
    }

    func attention(heads: Int64?, outShape: [Int] = [4, 6], float: Bool = false) -> PithModel {
        model(.attention) { m, x in
            let y = float ? m.addValue("y", dtype: .float32, shape: outShape) : m.addValue("y", dtype: .uint8, shape: outShape, quantization: q8)
            return ([x, x, x], y, heads.map { [Attribute("heads", $0)] } ?? [])
        }
    }

    func lookup(tableSize: Int, dtype: DType = .uint8) -> PithModel {
        model(.lookup) { m, x in
            let t = m.addConstant("t", dtype: dtype, shape: [tableSize], bytes: [UInt8](repeating: 3, count: tableSize))
            return ([x, t], m.addValue("y", dtype: .uint8, shape: [4, 6], quantization: q8), [])
        }
    }

    func tokenDense(biasShape: [Int]) -> PithModel {
        model(.dense) { m, x in
            let w = m.addConstant("w", dtype: .int8, shape: [3, 6], bytes: [UInt8](repeating: 1, count: 18),
                                  quantization: .perChannel(axis: 0, scales: [0.01, 0.01, 0.01], zeroPoints: [0, 0, 0]))
            let count = biasShape.reduce(1, *)
            let b = m.addConstant("b", dtype: .int32, shape: biasShape, bytes: [UInt8](repeating: 0, count: 4 * count))
            return ([x, w, b], m.addValue("y", dtype: .uint8, shape: [4, 3], quantization: q8), [])
        }
    }

    func refusal(_ m: PithModel) -> String? {
        do {
            _ = try Interpreter(file: try PithFile(bytes: try PithWriter.encode(m, validate: false).bytes))
            return nil
        } catch { return "\(error)" }
    }

    func testGoodOnesRunAndBadOnesAreRefused() throws {
        for good in [layerNorm(), layerNorm(epsilon: 12), attention(heads: 3), lookup(tableSize: 256), tokenDense(biasShape: [4, 3]), tokenDense(biasShape: [3]),
                     model(.meanTokens) { m, x in ([x], m.addValue("y", dtype: .uint8, shape: [6], quantization: self.q8), []) },
                     model(.add) { m, x in ([x, x], m.addValue("y", dtype: .uint8, shape: [4, 6], quantization: self.q8), []) }] {
            let runner = try Interpreter(file: try PithFile(bytes: try PithWriter.encode(good).bytes))
            var out = [UInt8](repeating: 0, count: runner.outputElements)
            let x = (0 ..< 24).map { UInt8($0 * 10) }
            try x.withUnsafeBytes { i in try out.withUnsafeMutableBytes { o in try runner.run(input: i.baseAddress!, output: o.baseAddress!, batch: 1) } }
        }
        var nan = [Float](repeating: 1, count: 6)
        nan[2] = .nan
        let cases: [(PithModel, String)] = [
            (layerNorm(gamma: nan), "is not finite"),
            (layerNorm(gamma: [1, 1, 1]), "must be float32 of shape [6]"),
            (layerNorm(gamma: [Float](repeating: 1e6, count: 6), outScale: 0.01), "too large for the output scale"),
            (layerNorm(epsilon: 31), "epsilon_exponent"),
            (attention(heads: 4), "4 heads do not divide the width 6"),
            (attention(heads: nil), "needs attribute"),
            (attention(heads: 2, outShape: [4, 5]), "the op gives [4, 6]"),
            (attention(heads: 2, float: true), "runs on quantized uint8 values"),
            (lookup(tableSize: 255), "must be uint8 of shape [256]"),
            (lookup(tableSize: 256, dtype: .int8), "must be uint8 of shape [256]"),
            (tokenDense(biasShape: [5, 3]), "expected [3] or [4, 3]"),
            (model(.meanTokens) { m, x in ([x], m.addValue("y", dtype: .uint8, shape: [4], quantization: self.q8), []) }, "the op gives [6]"),
            (model(.add) { m, x in
                let z = m.addValue("z", dtype: .uint8, shape: [4, 6], quantization: .perTensor(scale: 1e-9, zeroPoint: 0))
                return ([x, x], z, [])
            }, "not below 2^20"),
        ]
        for (model, fragment) in cases {
            let message = refusal(model)
            XCTAssertNotNil(message, fragment)
            XCTAssert(message?.contains(fragment) == true, "\(message ?? "accepted"): expected '\(fragment)'")
            XCTAssert(message?.contains("node") == true, message ?? "")
        }
    }
}
