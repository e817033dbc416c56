import PithFormat
import PithRuntime
import XCTest

/// The one float32 ↔ 8-bit conversion of a model's input and output (pith-run and the C API).
final class IOQuantizationTests: XCTestCase {
    func encode(_ q: IOQuantization, _ x: [Float], perSample: Int = 1) throws -> [UInt8] {
        try q.encode(x[...], valuesPerSample: perSample)
    }

    /// q = clamp(round_half_even(x / s) + z, lo, hi); x = s · (q − z).
    func testEightBitEdges() throws {
        let u8 = IOQuantization(dtype: .uint8, scale: 0.5, zeroPoint: 10)
        XCTAssertEqual(try encode(u8, [0, 0.25, 0.75, 1, -5, -6, 200, 0.5]), [10, 10, 12, 12, 0, 0, 255, 11], "ties to even, clamped")
        XCTAssertEqual(u8.decode([10, 12, 0, 255], count: 4), [0, 1, -5, 122.5])
        let s8 = IOQuantization(dtype: .int8, scale: 0.25, zeroPoint: -3)
        let codes = try encode(s8, [0, 1, -100, 100, -0.125, -0.375])
        XCTAssertEqual(codes.map { Int8(bitPattern: $0) }, [-3, 1, -128, 127, -3, -5], "−0.5 → −0, −1.5 → −2")
        XCTAssertEqual(s8.decode(codes, count: 6), [0, 1, -31.25, 32.5, 0, -0.5])
        XCTAssertEqual(u8.bytesPerValue, 1)
    }

    func testFloat32IsCopiedAndNonFiniteRefused() throws {
        let f = IOQuantization(dtype: .float32)
        let x: [Float] = [1.5, -0.0, .greatestFiniteMagnitude]
        let bytes = try encode(f, x)
        XCTAssertEqual(bytes.count, 12)
        XCTAssertEqual(f.decode(bytes, count: 3).map(\.bitPattern), x.map(\.bitPattern))
        for q in [f, IOQuantization(dtype: .uint8, scale: 1, zeroPoint: 0)] {
            XCTAssertThrowsError(try encode(q, [1, 2, 3, .nan], perSample: 2)) {
                XCTAssertEqual($0 as? RuntimeError, .badInput("value 3 (sample 1) is NaN"))
            }
            XCTAssertThrowsError(try encode(q, [-.infinity])) { XCTAssertEqual($0 as? RuntimeError, .badInput("value 0 (sample 0) is infinite")) }
        }
        XCTAssertEqual(try encode(f, []), [])
    }

    /// An interpreter's edges: a uint8 input (scale 0.02, zero 9) dequantized, and a float
    /// input quantized to an int8 output (scale 0.5, zero −3); encode → run → decode.
    func testAnInterpretersEdges() throws {
        var m = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let x = m.addValue("x", dtype: .uint8, shape: [3], quantization: .perTensor(scale: 0.02, zeroPoint: 9))
        let y = m.addValue("y", dtype: .float32, shape: [3])
        m.graph = Graph(inputs: [x], outputs: [y], nodes: [Node(op: .dequantize, name: "dq", inputs: [x], outputs: [y])])
        let a = try Interpreter(file: try PithFile(bytes: try PithWriter.encode(m).bytes), maxBatch: 1)
        XCTAssertEqual(a.inputQuantization, IOQuantization(dtype: .uint8, scale: 0.02, zeroPoint: 9))
        XCTAssertEqual(a.outputQuantization, IOQuantization(dtype: .float32))
        var out = [UInt8](repeating: 0, count: 12)
        let input = try a.inputQuantization.encode([0.1, -1, 0.5][...], valuesPerSample: 3)
        XCTAssertEqual(input, [14, 0, 34])
        try input.withUnsafeBytes { i in try out.withUnsafeMutableBytes { try a.run(input: i.baseAddress!, output: $0.baseAddress!, batch: 1) } }
        let back = a.outputQuantization.decode(out, count: 3)
        for (g, e) in zip(back, [0.1, -0.18, 0.5] as [Float]) { XCTAssertEqual(g, e, accuracy: 1e-6) }

        var n = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let f = n.addValue("f", dtype: .float32, shape: [2])
        let q = n.addValue("q", dtype: .int8, shape: [2], quantization: .perTensor(scale: 0.5, zeroPoint: -3))
        n.graph = Graph(inputs: [f], outputs: [q], nodes: [Node(op: .quantize, name: "q", inputs: [f], outputs: [q])])
        let b = try Interpreter(file: try PithFile(bytes: try PithWriter.encode(n).bytes), maxBatch: 1)
        XCTAssertEqual(b.outputQuantization, IOQuantization(dtype: .int8, scale: 0.5, zeroPoint: -3))
        let codes = try b.run(inputBytes: b.inputQuantization.encode([1, -2][...], valuesPerSample: 2))
        XCTAssertEqual(b.outputQuantization.decode(codes, count: 2), [1, -2])
    }
}

extension Interpreter {
    /// One sample's output bytes for input bytes.
    func run(inputBytes: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outputElements * outputType.size)
        try inputBytes.withUnsafeBytes { i in try out.withUnsafeMutableBytes { try run(input: i.baseAddress!, output: $0.baseAddress!, batch: 1) } }
        return out
    }
}
