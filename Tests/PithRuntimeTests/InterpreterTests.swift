import CPithRuntimeKernels
import Foundation
import PithFormat
import PithNN
import PithQuant
import PithRuntime
import PithTensor
import XCTest

/// The interpreter against the toolchain: the same model, the same inputs, the same
/// logits (float: within the summation error; integer: bit for bit).
final class InterpreterTests: XCTestCase {
    static let models = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models")

    func description(_ name: String) throws -> ModelDescription {
        try ModelDescription(parsing: try String(contentsOf: Self.models.appendingPathComponent("\(name).model"), encoding: .utf8), source: name)
    }

    func randomInput(_ count: Int, seed: UInt64) -> [Float] {
        var rng = PithRandom(seed: seed, stream: 5)
        return (0..<count).map { _ in rng.nextFloat() }
    }

    func interpreter(_ model: Model, _ precision: WeightPrecision, maxBatch: Int) throws -> Interpreter {
        let exported = try GraphExport.pithModel(model, weights: precision, metadata: Metadata())
        return try Interpreter(file: try PithFile(bytes: try PithWriter.encode(exported).bytes), maxBatch: maxBatch)
    }

    func testReferenceWorkloadsMatchTheToolchain() throws {
        for name in ["mlp-tiny", "mlp-student", "cnn-student", "cnn-teacher", "mlp-teacher"] {
            let d = try description(name)
            for precision in WeightPrecision.allCases {
                let model = Model(d, seed: 2)
                GraphExport.applyWeightPrecision(precision, to: model)
                let runner = try interpreter(Model(d, seed: 2), precision, maxBatch: 4)
                XCTAssertEqual(runner.inputShape, d.inputShape)
                XCTAssertEqual(runner.outputShape, [d.classes])
                let batch = 3
                let x = randomInput(batch * d.inputFeatures, seed: 7)
                let got = try runner.run(x, batch: batch)
                let expected = model.predict(Tensor(x, shape: [batch, d.inputFeatures])).scalars
                XCTAssertEqual(got.count, expected.count)
                let scale = expected.map { abs($0) }.max() ?? 1
                for (g, e) in zip(got, expected) {
                    XCTAssertEqual(g, e, accuracy: 1e-4 * max(1, scale), "\(name) \(precision)")
                }
                // One sample at a time gives the same as the batch, bit for bit.
                let first = try runner.run(Array(x[0..<d.inputFeatures]), batch: 1)
                XCTAssertEqual(first, Array(got[0..<d.classes]), "\(name) \(precision) batch 1 vs 3")
            }
        }
    }

    /// A hand-made integer graph: uint8 input → Conv2D int8 (+ReLU) → MaxPool → Flatten →
    /// Dense int8 → Dequantize. Expected values from the C reference GEMM and loops here.
    func testIntegerGraphIsBitExactAgainstTheReference() throws {
        var rng = PithRandom(seed: 11, stream: 1)
        func u8() -> UInt8 { UInt8(rng.nextFloat() * 255.99) }
        func s8() -> Int8 { Int8(Int(rng.nextFloat() * 255.99) - 128) }
        let c = 2, h = 7, w = 7, f = 3, k = 3, n = 5
        let oh = 7, ow = 7, ph = 3, pw = 3
        var m = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let x = m.addValue("x", dtype: .uint8, shape: [c, h, w], quantization: .perTensor(scale: 0.02, zeroPoint: 9))
        let cw = (0..<(f * c * k * k)).map { _ in s8() }
        let cwScales: [Float] = [0.01, 0.02, 0.015]
        let convW = m.addConstant("conv.w", dtype: .int8, shape: [f, c, k, k], bytes: cw.map { UInt8(bitPattern: $0) },
                                  quantization: .perChannel(axis: 0, scales: cwScales, zeroPoints: [0, 0, 0]))
        let cb: [Int32] = [-300, 1200, 45]
        let convB = m.addConstant("conv.b", dtype: .int32, shape: [f], bytes: littleEndianBytes(cb))
        let conv = m.addValue("conv", dtype: .uint8, shape: [f, oh, ow], quantization: .perTensor(scale: 0.05, zeroPoint: 20))
        let pool = m.addValue("pool", dtype: .uint8, shape: [f, ph, pw], quantization: .perTensor(scale: 0.05, zeroPoint: 20))
        let flat = m.addValue("flat", dtype: .uint8, shape: [f * ph * pw], quantization: .perTensor(scale: 0.05, zeroPoint: 20))
        let dw = (0..<(n * f * ph * pw)).map { _ in s8() }
        let dwScales: [Float] = (0..<n).map { Float($0 + 1) * 0.004 }
        let denseW = m.addConstant("dense.w", dtype: .int8, shape: [n, f * ph * pw], bytes: dw.map { UInt8(bitPattern: $0) },
                                   quantization: .perChannel(axis: 0, scales: dwScales, zeroPoints: [Int32](repeating: 0, count: n)))
        let logitsQ = m.addValue("logits.q", dtype: .uint8, shape: [n], quantization: .perTensor(scale: 0.1, zeroPoint: 128))
        let logits = m.addValue("logits", dtype: .float32, shape: [n])
        m.graph = Graph(inputs: [x], outputs: [logits], nodes: [
            Node(op: .conv2d, name: "conv", inputs: [x, convW, convB], outputs: [conv],
                 attributes: [Attribute("stride", 1), Attribute("padding", 1), Attribute("relu", 1)]),
            Node(op: .maxPool, name: "pool", inputs: [conv], outputs: [pool], attributes: [Attribute("kernel", 2), Attribute("stride", 2)]),
            Node(op: .flatten, name: "flatten", inputs: [pool], outputs: [flat]),
            Node(op: .dense, name: "dense", inputs: [flat, denseW], outputs: [logitsQ]),
            Node(op: .dequantize, name: "dequantize", inputs: [logitsQ], outputs: [logits]),
        ])
        let runner = try Interpreter(file: try PithFile(bytes: try PithWriter.encode(m).bytes), maxBatch: 2)
        let input = (0..<(2 * c * h * w)).map { _ in u8() }
        var got = [Float](repeating: 0, count: 2 * n)
        try input.withUnsafeBytes { i in try got.withUnsafeMutableBytes { o in
            try runner.run(input: i.baseAddress!, output: o.baseAddress!, batch: 2)
        } }

        func requant(_ acc: Int32, _ real: Double, zero: Int32, lo: Int32) -> UInt8 {
            var mult: Int32 = 0, shift: Int32 = 0
            pith_q8_quantize_multiplier(real, &mult, &shift)
            return UInt8(min(255, max(lo, zero + pith_q8_multiply_by_quantized_multiplier(acc, mult, shift))))
        }
        for b in 0..<2 {
            let s = Array(input[(b * c * h * w)..<((b + 1) * c * h * w)])
            var convOut = [UInt8](repeating: 0, count: f * oh * ow)
            for o in 0..<f { for y in 0..<oh { for xx in 0..<ow {
                var acc = cb[o]
                for ci in 0..<c { for ky in 0..<k { for kx in 0..<k {
                    let iy = y - 1 + ky, ix = xx - 1 + kx
                    let a = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? Int32(s[(ci * h + iy) * w + ix]) : 9
                    acc += (a - 9) * Int32(cw[((o * c + ci) * k + ky) * k + kx])
                } } }
                convOut[(o * oh + y) * ow + xx] = requant(acc, 0.02 * Double(cwScales[o]) / 0.05, zero: 20, lo: 20)
            } } }
            var pooled = [UInt8](repeating: 0, count: f * ph * pw)
            for o in 0..<f { for y in 0..<ph { for xx in 0..<pw {
                pooled[(o * ph + y) * pw + xx] = [convOut[(o * oh + 2 * y) * ow + 2 * xx], convOut[(o * oh + 2 * y) * ow + 2 * xx + 1],
                                                  convOut[(o * oh + 2 * y + 1) * ow + 2 * xx], convOut[(o * oh + 2 * y + 1) * ow + 2 * xx + 1]].max()!
            } } }
            for j in 0..<n {
                var acc: Int32 = 0
                for i in 0..<(f * ph * pw) { acc += (Int32(pooled[i]) - 20) * Int32(dw[j * f * ph * pw + i]) }
                let q = requant(acc, 0.05 * Double(dwScales[j]) / 0.1, zero: 128, lo: 0)
                XCTAssertEqual(got[b * n + j], 0.1 * Float(Int32(q) - 128), "sample \(b) logit \(j)")
            }
        }
    }

    func testThreadsGiveTheSameResultsAsOne() throws {
        for name in ["cnn-student", "mlp-tiny"] {
            let d = try description(name)
            let exported = try GraphExport.pithModel(Model(d, seed: 4), weights: .int8, metadata: Metadata())
            let file = try PithFile(bytes: try PithWriter.encode(exported).bytes)
            let one = try Interpreter(file: file, maxBatch: 9)
            let two = try Interpreter(file: file, maxBatch: 9, threads: 2)
            XCTAssertEqual(two.threads, 2)
            let x = randomInput(9 * d.inputFeatures, seed: 3)
            for batch in [1, 2, 5, 9] {
                let xs = Array(x[0..<(batch * d.inputFeatures)])
                XCTAssertEqual(try two.run(xs, batch: batch), try one.run(xs, batch: batch), "\(name) batch \(batch)")
            }
            var nan = x
            nan[8 * d.inputFeatures + 1] = .nan
            XCTAssertThrowsError(try two.run(nan, batch: 9)) { error in
                XCTAssertEqual(error as? RuntimeError, .badInput("value \(8 * d.inputFeatures + 1) (sample 8) is NaN"))
            }
        }
    }

    func testBadInputsAndUnsupportedGraphsGiveTypedErrors() throws {
        let d = try description("mlp-tiny")
        let runner = try interpreter(Model(d, seed: 1), .float32, maxBatch: 2)
        XCTAssertThrowsError(try runner.run([Float](repeating: 0, count: 783), batch: 1)) { error in
            guard case .badInput = error as? RuntimeError else { return XCTFail("\(error)") }
        }
        var nan = [Float](repeating: 0, count: 784)
        nan[100] = .nan
        XCTAssertThrowsError(try runner.run(nan, batch: 1)) { error in
            XCTAssertEqual(error as? RuntimeError, .badInput("value 100 (sample 0) is NaN"))
        }
        XCTAssertThrowsError(try runner.run([Float](repeating: 0, count: 784 * 3), batch: 3)) { error in
            guard case .badInput = error as? RuntimeError else { return XCTFail("\(error)") }
        }
        // Add of uint8 values into an int8 one is not something this runtime runs.
        var m = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let a = m.addValue("a", dtype: .uint8, shape: [4], quantization: .perTensor(scale: 1, zeroPoint: 0))
        let b = m.addValue("b", dtype: .int8, shape: [4], quantization: .perTensor(scale: 1, zeroPoint: 0))
        m.graph = Graph(inputs: [a], outputs: [b], nodes: [Node(op: .add, name: "twice", inputs: [a, a], outputs: [b])])
        XCTAssertThrowsError(try Interpreter(file: try PithFile(bytes: try PithWriter.encode(m).bytes))) { error in
            guard case .unsupported(node: "twice", _) = error as? RuntimeError else { return XCTFail("\(error)") }
        }
        // A declared output shape that the op does not give.
        var wrong = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let x = wrong.addValue("x", dtype: .float32, shape: [3])
        let wt = wrong.addConstant("w", dtype: .float32, shape: [2, 3], bytes: littleEndianBytes([Float](repeating: 1, count: 6)))
        let y = wrong.addValue("y", dtype: .float32, shape: [5])
        wrong.graph = Graph(inputs: [x], outputs: [y], nodes: [Node(op: .dense, name: "fc", inputs: [x, wt], outputs: [y])])
        XCTAssertThrowsError(try Interpreter(file: try PithFile(bytes: try PithWriter.encode(wrong).bytes))) { error in
            guard case .invalidGraph(node: "fc", _) = error as? RuntimeError else { return XCTFail("\(error)") }
        }
        // A value of 2^30 floats: the arena would pass the limit, so loading refuses.
        var huge = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let hx = huge.addValue("x", dtype: .float32, shape: [1 << 15, 1 << 15])
        let hy = huge.addValue("y", dtype: .float32, shape: [1 << 15, 1 << 15])
        huge.graph = Graph(inputs: [hx], outputs: [hy], nodes: [Node(op: .relu, name: "r", inputs: [hx], outputs: [hy])])
        XCTAssertThrowsError(try Interpreter(file: try PithFile(bytes: try PithWriter.encode(huge).bytes))) { error in
            guard case .overLimit(what: "activations", _, _) = error as? RuntimeError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Interpreter(path: "/nonexistent.pith")) { error in
            guard case .format(.io) = error as? RuntimeError else { return XCTFail("\(error)") }
        }
    }

    /// pith-run's probabilities come from the runtime's softmax kernel, which is the
    /// toolchain's softmax bit for bit.
    func testTheRuntimesSoftmaxIsTheToolchains() {
        var rng = PithRandom(seed: 12)
        for n in [1, 2, 10, 33] {
            let z = (0..<n).map { _ in rng.nextNormal() * 8 }
            var runtime = z
            Interpreter.softmax(&runtime)
            var toolchain = [Float](repeating: 0, count: n)
            _ = softmaxRow(z, n, into: &toolchain)
            XCTAssertEqual(runtime.map(\.bitPattern), toolchain.map(\.bitPattern), "n = \(n)")
        }
    }
}
