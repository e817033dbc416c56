// Random `.pith` models for the structure-aware fuzzer (FuzzPithStructured.swift): the
// fuzzer's bytes choose a graph — a chain of the format's ops over float32 and quantized
// values, with shapes, dtypes, scales, zero points, attributes and weights — that is
// mostly one the runtime can run, and now and then bent in one place (a wrong shape or
// dtype, a hostile scale, a value nobody reads, a second output, a huge zero-filled
// weight). It is written checksummed, so every case reaches the checks behind the
// checksums: the reader's cross-section validation and the runtime's own.

@testable import PithFormat

struct ModelGenerator {
    var input: FuzzBytes
    var model = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
    var nodes: [Node] = []
    var names = 0

    /// The value the chain has reached.
    struct Current {
        var tensor: Int
        var dtype: DType
        var shape: [Int]
        var quantization: Quantization
        /// The product of the shape, saturated (a bent shape may overflow it).
        var elements: Int {
            shape.reduce(1) { p, d in
                let (q, overflow) = p.multipliedReportingOverflow(by: d)
                return overflow ? Int.max / 2 : q
            }
        }
        var isFloat: Bool { dtype == .float32 }
    }

    init(_ input: FuzzBytes) { self.input = input }

    mutating func name(_ prefix: String) -> String {
        names += 1
        return "\(prefix)\(names)"
    }

    /// Bytes of a constant: zeros, one repeated byte, or a pseudo-random stream seeded
    /// from the input (so a large tensor costs the fuzzer four bytes, not its size).
    mutating func constantBytes(_ count: Int) -> [UInt8] {
        switch input.int(0 ... 3) {
        case 0: return [UInt8](repeating: 0, count: count)
        case 1: return [UInt8](repeating: input.byte(), count: count)
        default:
            var state = UInt64(input.u32()) | 1
            return (0 ..< count).map { _ in
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                return UInt8(truncatingIfNeeded: state >> 24)
            }
        }
    }

    /// Float32 constant bytes: small values, or hostile ones now and then.
    mutating func floatBytes(_ count: Int) -> [UInt8] {
        if input.oneIn(16) { return constantBytes(count * 4) }
        var state = UInt64(input.u32()) | 1
        let spread = Float(input.int(1 ... 100)) / 50
        return littleEndianBytes((0 ..< count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return (Float(state >> 40) / Float(1 << 24) - 0.5) * spread
        })
    }

    /// A shape for a value: `valid` mostly, a random one now and then.
    mutating func shape(_ valid: [Int]) -> [Int] {
        guard input.oneIn(40) else { return valid }
        return (0 ..< input.int(0 ... 4)).map { _ in input.oneIn(8) ? input.int(0 ... (1 << 24) + 1) : input.int(1 ... 12) }
    }

    mutating func dtype(_ valid: DType) -> DType {
        guard input.oneIn(40) else { return valid }
        return DType(rawValue: UInt8(input.int(0 ... 5))) ?? valid
    }

    /// A per-tensor quantization for an 8-bit value of `dtype`.
    mutating func activationQuantization(_ dtype: DType) -> Quantization {
        if input.oneIn(48) { return .perChannel(axis: 0, scales: [input.scale()], zeroPoints: [0]) }
        let zero = dtype == .int8 ? input.int(-128 ... 127) : input.int(0 ... 255)
        return .perTensor(scale: input.scale(), zeroPoint: Int32(input.oneIn(48) ? input.int(-1000 ... 1000) : zero))
    }

    mutating func value(_ prefix: String, _ dtype: DType, _ shape: [Int], _ q: Quantization = .none) -> Current {
        let d = self.dtype(dtype), s = self.shape(shape)
        let quant = d == dtype ? q : (d.size == 1 ? activationQuantization(d) : .none)
        return Current(tensor: model.addValue(name(prefix), dtype: d, shape: s, quantization: quant), dtype: d, shape: s, quantization: quant)
    }

    mutating func attributes(_ valid: [Attribute]) -> [Attribute] {
        var a = valid
        if input.oneIn(32), !a.isEmpty { a.remove(at: input.int(0 ... a.count - 1)) }
        if input.oneIn(32) {
            let keys = ["relu", "stride", "padding", "kernel", "axis", "cell_shift", "sequence", "heads", "epsilon_exponent"]
            a.append(Attribute(keys[input.int(0 ... keys.count - 1)], Int64(input.int(-3 ... 70_000))))
        }
        return a
    }

    mutating func add(_ op: OpCode, _ inputs: [Int], _ output: Current, _ attributes: [Attribute] = []) {
        nodes.append(Node(op: op, name: name(op.name), inputs: inputs, outputs: [output.tensor], attributes: self.attributes(attributes)))
    }

    /// Dense or Conv2D from `x`: float weights (or int8 weight-only) on float input,
    /// int8 weights with int32 bias and a requantized uint8 output on 8-bit input.
    mutating func linear(_ x: Current) -> Current {
        let conv = x.shape.count == 3
        let n = input.int(1 ... (input.oneIn(64) ? 4096 : 32))
        var wShape: [Int], outShape: [Int], attrs: [Attribute] = []
        if conv {
            let (c, h, w) = (x.shape[0], x.shape[1], x.shape[2])
            let pad = input.int(0 ... 2), stride = input.int(1 ... 3)
            let k = input.int(1 ... max(1, min(5, min(h, w) + 2 * pad)))
            wShape = [n, c, k, k]
            outShape = [n, max(0, (h + 2 * pad - k) / stride + 1), max(0, (w + 2 * pad - k) / stride + 1)]
            attrs = [Attribute("stride", Int64(stride)), Attribute("padding", Int64(pad))]
        } else {
            wShape = [n, x.elements]
            outShape = [n]
        }
        if input.bool() { attrs.append(Attribute("relu", 1)) }
        let wElements = Current(tensor: 0, dtype: .int8, shape: wShape, quantization: .none).elements
        guard wElements <= 1 << 22 else { return x }
        let inputs: [Int]
        let out: Current
        if x.isFloat {
            let int8 = input.bool()
            let w = int8
                ? model.addConstant(name("w"), dtype: .int8, shape: wShape, bytes: constantBytes(wElements),
                                    quantization: .perChannel(axis: 0, scales: (0 ..< n).map { _ in input.scale() }, zeroPoints: [Int32](repeating: 0, count: n)))
                : model.addConstant(name("w"), dtype: .float32, shape: wShape, bytes: floatBytes(wElements))
            let b = input.bool() ? [model.addConstant(name("b"), dtype: .float32, shape: [n], bytes: floatBytes(n))] : []
            inputs = [x.tensor, w] + b
            out = value("y", .float32, outShape)
        } else {
            let perTensor = input.oneIn(4)
            let q: Quantization = perTensor ? .perTensor(scale: input.scale(), zeroPoint: 0)
                : .perChannel(axis: 0, scales: (0 ..< n).map { _ in input.scale() }, zeroPoints: [Int32](repeating: 0, count: n))
            let w = model.addConstant(name("w"), dtype: .int8, shape: wShape, bytes: constantBytes(wElements), quantization: q)
            let b = input.bool() ? [model.addConstant(name("b"), dtype: .int32, shape: [n], bytes: constantBytes(4 * n))] : []
            inputs = [x.tensor, w] + b
            out = value("q", .uint8, outShape, activationQuantization(.uint8))
        }
        add(conv ? .conv2d : .dense, inputs, out, attrs)
        return out
    }

    /// An integer LSTM over uint8 `x` (T, F): int8 W (4H, F) and U (4H, H) per row or per
    /// tensor, sometimes a row short; an int32 bias or none; any cell shift (sometimes
    /// past 15); the last hidden state or every one.
    mutating func lstm(_ x: Current) -> Current {
        let (steps, features) = (x.shape[0], x.shape[1])
        let hidden = input.int(1 ... (input.oneIn(64) ? 512 : 16)), rows = 4 * hidden - (input.oneIn(32) ? 1 : 0)
        guard rows * (features + hidden) <= 1 << 22 else { return x }
        func weight(_ shape: [Int]) -> Int {
            let q: Quantization = input.oneIn(4) ? .perTensor(scale: input.scale(), zeroPoint: 0)
                : .perChannel(axis: 0, scales: (0 ..< shape[0]).map { _ in input.scale() }, zeroPoints: [Int32](repeating: 0, count: shape[0]))
            return model.addConstant(name("w"), dtype: .int8, shape: shape, bytes: constantBytes(shape[0] * shape[1]), quantization: q)
        }
        let w = weight([rows, features]), u = weight([4 * hidden, hidden])
        let b = input.bool() ? [model.addConstant(name("b"), dtype: .int32, shape: [rows], bytes: constantBytes(4 * rows))] : []
        let sequence = input.bool()
        var attrs = [Attribute("cell_shift", Int64(input.int(0 ... (input.oneIn(16) ? 20 : 15))))]
        if sequence || input.oneIn(8) { attrs.append(Attribute("sequence", sequence ? 1 : 0)) }
        let out = value("h", .uint8, sequence ? [steps, hidden] : [hidden], activationQuantization(.uint8))
        add(.lstm, [x.tensor, w, u] + b, out, attrs)
        return out
    }

    /// The integer Transformer's ops over uint8 `x`: LayerNorm (γ, β float32, sometimes a
    /// value short or hostile), Attention of x with itself (heads dividing the width, or
    /// not), a 256-byte Lookup table (or a byte short), MeanTokens, the requantized Add, and
    /// a Dense layer over the tokens with a bias per token (or of a bent shape).
    mutating func transformerOp(_ x: Current) -> Current? {
        let width = x.shape.last ?? 1
        switch input.int(0 ... 5) {
        case 0:
            guard !x.shape.isEmpty else { return nil }
            let d = width + (input.oneIn(32) ? 1 : 0)
            let g = model.addConstant(name("g"), dtype: .float32, shape: [d], bytes: floatBytes(d))
            let b = model.addConstant(name("b"), dtype: .float32, shape: [d], bytes: floatBytes(d))
            let out = value("n", .uint8, x.shape, activationQuantization(.uint8))
            add(.layerNorm, [x.tensor, g, b], out, input.oneIn(4) ? [Attribute("epsilon_exponent", Int64(input.int(0 ... 31)))] : [])
            return out
        case 1:
            guard x.shape.count == 2 else { return nil }
            let divisors = (1 ... max(1, width)).filter { width % $0 == 0 }
            let heads = input.oneIn(16) ? input.int(1 ... 40) : divisors[input.int(0 ... divisors.count - 1)]
            let out = value("att", .uint8, x.shape, activationQuantization(.uint8))
            add(.attention, [x.tensor, x.tensor, x.tensor], out, [Attribute("heads", Int64(heads))])
            return out
        case 2:
            let t = model.addConstant(name("t"), dtype: .uint8, shape: [input.oneIn(32) ? 255 : 256], bytes: constantBytes(256))
            let out = value("l", .uint8, x.shape, activationQuantization(.uint8))
            add(.lookup, [x.tensor, t], out)
            return out
        case 3:
            guard x.shape.count == 2 else { return nil }
            let out = value("m", .uint8, [width], activationQuantization(.uint8))
            add(.meanTokens, [x.tensor], out)
            return out
        case 4:
            let out = value("s", .uint8, x.shape, activationQuantization(.uint8))
            add(.add, [x.tensor, x.tensor], out)
            return out
        default:
            guard x.shape.count == 2 else { return nil }
            let (steps, n) = (x.shape[0], input.int(1 ... 24))
            guard n * width <= 1 << 22, steps * n <= 1 << 22 else { return nil }
            let w = model.addConstant(name("w"), dtype: .int8, shape: [n, width], bytes: constantBytes(n * width),
                                      quantization: .perChannel(axis: 0, scales: (0 ..< n).map { _ in input.scale() }, zeroPoints: [Int32](repeating: 0, count: n)))
            let biasShape = input.oneIn(16) ? [steps + 1, n] : (input.bool() ? [steps, n] : [n])
            let b = model.addConstant(name("b"), dtype: .int32, shape: biasShape, bytes: constantBytes(4 * biasShape.reduce(1, *)))
            let out = value("tok", .uint8, [steps, n], activationQuantization(.uint8))
            add(.dense, [x.tensor, w, b], out)
            return out
        }
    }

    /// One more op after `x`, or nil when none fits it.
    mutating func next(_ x: Current) -> Current? {
        switch input.int(0 ... 11) {
        case 0, 1:
            guard x.shape.count == 1 || x.shape.count == 3, x.dtype == .float32 || x.dtype == .uint8 else { return nil }
            return linear(x)
        case 2:
            guard x.shape.count == 3 else { return nil }
            let (c, h, w) = (x.shape[0], x.shape[1], x.shape[2])
            let k = input.int(1 ... max(1, min(4, min(h, w)))), stride = input.int(1 ... 3)
            let out = value("p", x.dtype, [c, max(0, (h - k) / stride + 1), max(0, (w - k) / stride + 1)], x.quantization)
            add(input.bool() ? .maxPool : .avgPool, [x.tensor], out, [Attribute("kernel", Int64(k)), Attribute("stride", Int64(stride))])
            return out
        case 3:
            let out = value("r", x.dtype, x.shape, x.quantization)
            add(.relu, [x.tensor], out)
            return out
        case 4:
            let out = value("f", x.dtype, input.oneIn(3) && x.elements % 2 == 0 ? [x.elements / 2, 2] : [x.elements], x.quantization)
            add(input.bool() ? .flatten : .reshape, [x.tensor], out)
            return out
        case 5:
            guard x.isFloat else { return nil }
            let d: DType = input.oneIn(4) ? .int8 : .uint8
            let out = value("q", d, x.shape, activationQuantization(d))
            add(.quantize, [x.tensor], out)
            return out
        case 6:
            guard !x.isFloat else { return nil }
            let out = value("d", .float32, x.shape)
            add(.dequantize, [x.tensor], out)
            return out
        case 7:
            guard x.isFloat else { return nil }
            let out = value("s", .float32, x.shape)
            add(.softmax, [x.tensor], out)
            return out
        case 8:
            guard x.isFloat else { return nil }
            let out = value("a", .float32, x.shape)
            add(.add, [x.tensor, x.tensor], out)
            return out
        case 9:
            guard x.dtype == .uint8, x.shape.count == 2 else { return nil }
            return lstm(x)
        case 10, 11:
            guard x.dtype == .uint8, x.elements <= 1 << 16 else { return nil }
            return transformerOp(x)
        default:
            return nil
        }
    }

    /// The model, the writer's options, and whether the writer should check it.
    mutating func generate() -> (PithModel, WriteOptions, Bool) {
        let quantizedInput = input.oneIn(3)
        let shape: [Int] = input.oneIn(3) ? [input.int(1 ... 64)]
            : input.bool() ? [input.int(1 ... 40), input.int(1 ... 24)] : [input.int(1 ... 4), input.int(1 ... 12), input.int(1 ... 12)]
        let x = quantizedInput ? value("x", .uint8, shape, activationQuantization(.uint8)) : value("x", .float32, shape)
        model.graph.inputs = [x.tensor]
        var current = x
        for _ in 0 ..< input.int(1 ... 6) {
            if let next = next(current) { current = next }
            if input.oneIn(48), current.isFloat {
                // A value nobody reads.
                let unread = value("u", .float32, current.shape)
                add(.softmax, [current.tensor], unread)
            }
        }
        if nodes.isEmpty {
            let out = value("r", current.dtype, current.shape, current.quantization)
            add(.relu, [current.tensor], out)
            current = out
        }
        model.graph.nodes = nodes
        model.graph.outputs = [current.tensor]
        if input.oneIn(64) { model.graph.outputs.append(x.tensor) }
        if input.oneIn(64) { model.graph.inputs.append(model.tensors.count - 1) }
        if input.bool() { model.metadata["input.scale"] = .double(Double(input.float())) }
        if input.oneIn(4) { model.metadata["model.labels"] = .strings((0 ..< input.int(0 ... 12)).map { "c\($0)" }) }
        var options = WriteOptions()
        options.layout = WriteOptions.Layout.allCases[input.int(0 ... 3)]
        options.dataLevel = input.oneIn(3) ? nil : Int32(input.int(1 ... 4))
        options.structureLevel = input.oneIn(3) ? nil : 3
        options.filters = input.bool()
        return (model, options, !input.oneIn(4))
    }
}
