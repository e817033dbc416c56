import CZstd
@testable import PithFormat

/// Small valid models and a way to edit a file's fields and re-seal its checksums, so
/// that each test reaches the check it is about rather than stopping at a checksum.
enum Fixtures {
    /// x (1,4,4) → Conv2D int8 → ReLU → MaxPool → Flatten → Dense int8 → Softmax, with
    /// per-channel int8 weights, int32 biases and a float32 table: every dtype, every
    /// quantization kind, attributes and metadata of every type.
    static func smallModel() -> PithModel {
        var m = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        m.metadata["model.name"] = .string("fixture")
        m.metadata["model.task"] = .string("classification")
        m.metadata["model.labels"] = .strings(["zero", "one", "two"])
        m.metadata["input.shape"] = .string("1,4,4")
        m.metadata["input.scale"] = .double(1.0 / 255)
        m.metadata["custom.count"] = .int(-7)
        let x = m.addValue("x", dtype: .uint8, shape: [1, 4, 4], quantization: .perTensor(scale: 1.0 / 255, zeroPoint: 0))
        let w1 = m.addConstant("conv.weight", dtype: .int8, shape: [2, 1, 3, 3],
                               bytes: (0 ..< 18).map { UInt8(bitPattern: Int8(truncatingIfNeeded: $0 * 13 - 100)) },
                               quantization: .perChannel(axis: 0, scales: [0.01, 0.02], zeroPoints: [0, 0]))
        let b1 = m.addConstant("conv.bias", dtype: .int32, shape: [2], bytes: littleEndianBytes([Int32(-5), 300]))
        let c = m.addValue("conv.out", dtype: .int8, shape: [2, 4, 4], quantization: .perTensor(scale: 0.05, zeroPoint: -128))
        let p = m.addValue("pool.out", dtype: .int8, shape: [2, 2, 2], quantization: .perTensor(scale: 0.05, zeroPoint: -128))
        let f = m.addValue("flat", dtype: .int8, shape: [8], quantization: .perTensor(scale: 0.05, zeroPoint: -128))
        let w2 = m.addConstant("dense.weight", dtype: .int8, shape: [3, 8],
                               bytes: (0 ..< 24).map { UInt8(bitPattern: Int8(truncatingIfNeeded: 127 - $0 * 11)) },
                               quantization: .perChannel(axis: 0, scales: [0.1, 0.2, 0.3], zeroPoints: [0, 0, 0]))
        let b2 = m.addConstant("dense.bias", dtype: .float32, shape: [3], bytes: littleEndianBytes([Float(0.5), -1, 2]))
        let logits = m.addValue("logits", dtype: .float32, shape: [3])
        let probs = m.addValue("probs", dtype: .float32, shape: [3])
        m.graph = Graph(inputs: [x], outputs: [probs], nodes: [
            Node(op: .conv2d, name: "conv", inputs: [x, w1, b1], outputs: [c],
                 attributes: [Attribute("stride", 1), Attribute("padding", 1), Attribute("relu", 1)]),
            Node(op: .maxPool, name: "pool", inputs: [c], outputs: [p], attributes: [Attribute("kernel", 2), Attribute("stride", 2)]),
            Node(op: .flatten, name: "flatten", inputs: [p], outputs: [f]),
            Node(op: .dense, name: "dense", inputs: [f, w2, b2], outputs: [logits]),
            Node(op: .softmax, name: "softmax", inputs: [logits], outputs: [probs]),
        ])
        return m
    }

    /// The small model plus an int8 constant of `rows` smooth, slightly noisy ramps, which
    /// the writer stores row-delta filtered.
    static func filteredModel(rows: Int = 8, columns: Int = 64) -> (model: PithModel, ramp: Int) {
        var model = smallModel()
        var rng = PithTestRandom(seed: 7)
        let ramp = (0 ..< rows * columns).map { i in UInt8(truncatingIfNeeded: (i % columns) * 3 + Int(rng.next() % 3)) }
        let index = model.addConstant("ramp", dtype: .int8, shape: [rows, columns], bytes: ramp)
        return (model, index)
    }

    /// Every section raw, so fields can be edited in place.
    static var rawOptions: WriteOptions {
        var o = WriteOptions()
        o.dataLevel = nil
        o.structureLevel = nil
        o.layout = .single
        return o
    }

    static func rawFile() -> [UInt8] { try! PithWriter.encode(smallModel(), options: rawOptions).bytes }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0 ..< 4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
    }

    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0 ..< 8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
    }

    static func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        for i in 0 ..< 4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }

    static func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) {
        for i in 0 ..< 8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }

    /// File offset of section `kind`'s stored bytes (first such section).
    static func sectionOffset(_ b: [UInt8], kind: UInt32) -> Int {
        let count = Int(u32(b, 24))
        for s in 0 ..< count where u32(b, 64 + 64 * s) == kind { return Int(u64(b, 64 + 64 * s + 8)) }
        fatalError("no section of kind \(kind)")
    }

    /// Recomputes every raw section's checksum, the header checksum and the trailer, so
    /// the edited file is wrong only where the test made it wrong.
    static func reseal(_ b: inout [UInt8]) {
        let count = min(Int(u32(b, 24)), (b.count - 80) / 64)
        for s in 0 ..< count {
            let e = 64 + 64 * s
            let off = Int(truncatingIfNeeded: u64(b, e + 8)), size = Int(truncatingIfNeeded: u64(b, e + 16))
            if u32(b, e + 4) == 0, off >= 0, size >= 0, off <= b.count, size <= b.count - off {
                put64(&b, e + 32, XXH64.hash(Array(b[off ..< off + size])))
            }
        }
        put64(&b, 40, XXH64.hash(Array(b[0 ..< 40]) + Array(b[64 ..< 64 + 64 * count])))
        put64(&b, b.count - 16, XXH64.hash(Array(b[0 ..< b.count - 16])))
    }

    /// A zstd frame of `bytes` that does not declare its content size (streaming API).
    static func frameWithoutContentSize(_ bytes: [UInt8]) -> [UInt8] {
        let ctx = ZSTD_createCCtx()
        defer { ZSTD_freeCCtx(ctx) }
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, 0)
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count) + 64)
        let n = out.withUnsafeMutableBytes { dst in
            bytes.withUnsafeBytes { src in
                var input = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
                var output = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: 0)
                _ = ZSTD_compressStream2(ctx, &output, &input, ZSTD_e_end)
                return output.pos
            }
        }
        return Array(out[0 ..< n])
    }
}

extension PithFile {
    /// Parses `bytes` and returns the error, or nil when the file is accepted.
    static func error(_ bytes: [UInt8], checksums: Bool = true) -> FormatError? {
        var options = ReadOptions()
        options.verifyChecksums = checksums
        do { _ = try PithFile(bytes: bytes, options: options) } catch { return error }
        return nil
    }
}
