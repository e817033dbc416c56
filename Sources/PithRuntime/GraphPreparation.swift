import CPithRuntimeKernels
import PithFormat

/// Turns the file's nodes into prepared steps: checks every op's dtypes, shapes,
/// quantization and attributes against what this runtime runs, and packs weights once.
struct GraphPreparation {
    let file: PithFile
    let store: WeightStore
    /// Value index of each tensor (nil for constants).
    var valueIndex: [Int?]
    var values: [Value]
    /// Channels reordered between convolutions for zero skipping (ChannelOrder).
    let channelOrder: ChannelOrder

    init(file: PithFile, store: WeightStore) throws(RuntimeError) {
        self.file = file
        self.store = store
        valueIndex = [Int?](repeating: nil, count: file.tensors.count)
        channelOrder = pith_channel_order_enabled() != 0 ? ChannelOrder(file: file) : ChannelOrder()
        values = []
        for (i, t) in file.tensors.enumerated() where t.role == .value {
            valueIndex[i] = values.count
            values.append(try Value(t))
        }
    }

    func value(_ tensor: Int, _ node: Node) throws(RuntimeError) -> Int {
        guard let v = valueIndex[tensor] else {
            throw .invalidGraph(node: node.name, problem: "'\(file.tensors[tensor].name)' must be a value, not a constant")
        }
        return v
    }

    func constant(_ tensor: Int, _ node: Node) throws(RuntimeError) -> TensorInfo {
        let t = file.tensors[tensor]
        guard t.role == .constant else { throw .invalidGraph(node: node.name, problem: "'\(t.name)' must be a constant") }
        return t
    }

    func fail(_ node: Node, _ problem: String) -> RuntimeError { .invalidGraph(node: node.name, problem: problem) }

    func expectShape(_ v: Int, _ shape: [Int], _ node: Node) throws(RuntimeError) {
        guard values[v].shape == shape else {
            throw fail(node, "'\(values[v].name)' has shape \(values[v].shape), the op gives \(shape)")
        }
    }

    mutating func prepare(_ node: Node) throws(RuntimeError) -> Step {
        let out = try value(node.outputs[0], node)
        switch node.op {
        case .dense, .conv2d: return try linear(node, out: out)
        case .lstm: return try lstm(node, out: out)
        case .layerNorm: return try layerNorm(node, out: out)
        case .attention: return try attention(node, out: out)
        case .lookup: return try lookup(node, out: out)
        case .meanTokens: return try meanTokens(node, out: out)
        case .maxPool, .avgPool:
            let x = try value(node.inputs[0], node)
            let s = values[x].shape
            guard s.count == 3 else { throw fail(node, "input shape \(s) is not (C, H, W)") }
            let k = Int(node.attribute("kernel")!), stride = Int(node.attribute("stride")!)
            guard s[1] >= k, s[2] >= k else { throw fail(node, "a \(k)×\(k) window does not fit \(s[1])×\(s[2])") }
            let oh = (s[1] - k) / stride + 1, ow = (s[2] - k) / stride + 1
            try expectShape(out, [s[0], oh, ow], node)
            try sameEncoding(x, out, node)
            values[out].channelsLast = values[x].channelsLast
            return .pool(PoolStep(input: x, output: out, average: node.op == .avgPool, channels: s[0], height: s[1], width: s[2],
                                  kernel: k, stride: stride, outHeight: oh, outWidth: ow, channelsLast: values[x].channelsLast))
        case .relu:
            let x = try value(node.inputs[0], node)
            try expectShape(out, values[x].shape, node)
            try sameEncoding(x, out, node)
            values[out].channelsLast = values[x].channelsLast
            return .relu(input: x, output: out)
        case .flatten, .reshape:
            let x = try value(node.inputs[0], node)
            guard values[x].elements == values[out].elements else { throw fail(node, "\(values[x].elements) elements become \(values[out].elements)") }
            if node.op == .flatten { try expectShape(out, [values[x].elements], node) }
            try sameEncoding(x, out, node)
            let xs = values[x].shape
            if values[x].channelsLast && xs.count == 3 && xs[0] > 1 {
                return .toChannelsFirst(input: x, output: out, channels: xs[0], pixels: xs[1] * xs[2])
            }
            return .copy(input: x, output: out)
        case .quantize:
            let x = try value(node.inputs[0], node)
            guard values[x].dtype == .float32, values[out].dtype == .uint8 || values[out].dtype == .int8, values[out].quantized else {
                throw fail(node, "Quantize takes float32 to a quantized uint8/int8 value")
            }
            try expectShape(out, values[x].shape, node)
            values[out].channelsLast = values[x].channelsLast
            return .quantize(input: x, output: out)
        case .dequantize:
            let x = try value(node.inputs[0], node)
            guard values[out].dtype == .float32, values[x].dtype != .float32, values[x].quantized else {
                throw fail(node, "Dequantize takes a quantized value to float32")
            }
            try expectShape(out, values[x].shape, node)
            values[out].channelsLast = values[x].channelsLast
            return .dequantize(input: x, output: out)
        case .softmax:
            let x = try value(node.inputs[0], node)
            guard values[x].dtype == .float32, values[out].dtype == .float32 else { throw fail(node, "Softmax runs on float32") }
            guard !values[x].channelsLast || values[x].shape.count != 3 else {
                throw RuntimeError.unsupported(node: node.name, problem: "Softmax over the channels of a convolution's output")
            }
            try expectShape(out, values[x].shape, node)
            return .softmax(input: x, output: out)
        case .add:
            let a = try value(node.inputs[0], node), b = try value(node.inputs[1], node)
            if values[a].dtype == .uint8 && values[b].dtype == .uint8 && values[out].dtype == .uint8 { return try quantizedAdd(node, out: out) }
            guard values[a].dtype == .float32, values[b].dtype == .float32, values[out].dtype == .float32 else {
                throw RuntimeError.unsupported(node: node.name, problem: "Add runs on float32 values only")
            }
            guard values[a].shape == values[b].shape else { throw fail(node, "Add of shapes \(values[a].shape) and \(values[b].shape)") }
            guard values[a].channelsLast == values[b].channelsLast else {
                throw RuntimeError.unsupported(node: node.name, problem: "Add of a convolution's output and a value in another layout")
            }
            values[out].channelsLast = values[a].channelsLast
            try expectShape(out, values[a].shape, node)
            return .addFloat(a: a, b: b, output: out)
        }
    }

    /// Same dtype, and for quantized values the same scale and zero point (ops that move
    /// codes without rescaling).
    func sameEncoding(_ a: Int, _ b: Int, _ node: Node) throws(RuntimeError) {
        let x = values[a], y = values[b]
        guard x.dtype == y.dtype, x.quantized == y.quantized, !x.quantized || (x.scale == y.scale && x.zeroPoint == y.zeroPoint) else {
            throw fail(node, "'\(x.name)' and '\(y.name)' must have the same dtype and quantization")
        }
        guard x.dtype == .float32 || x.dtype == .uint8 else {
            throw RuntimeError.unsupported(node: node.name, problem: "\(x.dtype.name) values (float32 and uint8 are supported)")
        }
    }

    mutating func linear(_ node: Node, out: Int) throws(RuntimeError) -> Step {
        let x = try value(node.inputs[0], node)
        let w = try constant(node.inputs[1], node)
        let wIndex = node.inputs[1]
        let b: (info: TensorInfo, index: Int)? = node.inputs.count > 2 ? (try constant(node.inputs[2], node), node.inputs[2]) : nil
        let relu = node.attribute("relu") == 1
        let xs = values[x].shape
        var geometry: ConvGeometry? = nil
        let n: Int, k: Int
        var tokens = 1
        if node.op == .dense {
            guard w.shape.count == 2 else { throw fail(node, "weight shape \(w.shape) is not (out, in)") }
            guard xs == [w.shape[1]] || (xs.count == 2 && xs[1] == w.shape[1]) else {
                throw fail(node, "input shape \(xs) does not match weight (out, in) = \(w.shape): (in) or (T, in)")
            }
            n = w.shape[0]
            k = w.shape[1]
            if xs.count == 2 { tokens = xs[0] }
            try expectShape(out, xs.count == 2 ? [tokens, n] : [n], node)
        } else {
            guard w.shape.count == 4, w.shape[2] == w.shape[3] else { throw fail(node, "weight shape \(w.shape) is not (F, C, k, k)") }
            guard xs.count == 3, xs[0] == w.shape[1] else { throw fail(node, "input shape \(xs) does not match weight \(w.shape)") }
            let kernel = w.shape[2], stride = Int(node.attribute("stride")!), padding = Int(node.attribute("padding")!)
            guard xs[1] + 2 * padding >= kernel, xs[2] + 2 * padding >= kernel else { throw fail(node, "the kernel does not fit the padded input") }
            let g = ConvGeometry(channels: xs[0], height: xs[1], width: xs[2], kernel: kernel, stride: stride, padding: padding,
                                 filters: w.shape[0], outHeight: (xs[1] + 2 * padding - kernel) / stride + 1,
                                 outWidth: (xs[2] + 2 * padding - kernel) / stride + 1,
                                 inputNeedsTranspose: !values[x].channelsLast && xs[0] > 1)
            try expectShape(out, [g.filters, g.outHeight, g.outWidth], node)
            geometry = g
            n = g.filters
            k = g.patch
        }
        let xv = values[x], ov = values[out]
        let integer = xv.dtype == .uint8 && ov.dtype == .uint8 && xv.quantized && ov.quantized && w.dtype == .int8
        // A bias per token (T, N): integer Dense layers over a sequence only.
        let perToken = tokens > 1 && integer && b?.info.shape == [tokens, n]
        if let b, b.info.shape != [n] && !perToken {
            throw fail(node, "bias shape \(b.info.shape), expected [\(n)]" + (tokens > 1 && integer ? " or [\(tokens), \(n)]" : ""))
        }
        if geometry != nil { values[out].channelsLast = true }
        if xv.channelsLast && tokens > 1 { throw RuntimeError.unsupported(node: node.name, problem: "Dense over a convolution's channels-last output") }
        if xv.dtype == .float32 && ov.dtype == .float32 {
            var l = try floatLinear(node, x: x, out: out, w: w, wIndex: wIndex, b: b, n: n, k: k, relu: relu, conv: geometry)
            l.tokens = tokens
            return .floatLinear(l)
        }
        if integer {
            let l = try quantizedLinear(node, x: x, out: out, w: w, wIndex: wIndex, b: perToken ? nil : b, n: n, k: k, relu: relu, conv: geometry)
            l.tokens = tokens
            if perToken, let b {
                let reach = 2 * 255 * 128 * k
                l.tokenBias = try int32Bias(b.index, b.info, count: tokens * n, reach: reach, products: k, node)
            }
            return .quantizedLinear(l)
        }
        throw RuntimeError.unsupported(node: node.name, problem: "\(node.op.name) from \(xv.dtype.name) to \(ov.dtype.name) with \(w.dtype.name) weights")
    }

    /// float32 weights, or int8 per-channel weights dequantized once here (weight-only).
    func floatLinear(_ node: Node, x: Int, out: Int, w: TensorInfo, wIndex: Int, b: (info: TensorInfo, index: Int)?,
                     n: Int, k: Int, relu: Bool, conv: ConvGeometry?) throws(RuntimeError) -> FloatLinear {
        let raw = file.data(of: wIndex)
        var packed = pith_f32_packed(K: Int32(k), N: Int32(n), NP: 0, data: try store.floats(Int(pith_f32_packed_floats(Int32(k), Int32(n)))))
        // The unpacked weights, then room for one filter's copy (toChannelsLast).
        try store.withTemporaryFloats(n * k + k) { weights throws(RuntimeError) in
        switch (w.dtype, w.quantization) {
        case (.float32, .none):
            for i in 0 ..< n * k { weights[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
        case let (.int8, .perChannel(0, scales, zeroPoints)):
            for row in 0 ..< n {
                for i in row * k ..< (row + 1) * k {
                    weights[i] = scales[row] * Float(Int32(Int8(bitPattern: raw[i])) - zeroPoints[row])
                }
            }
        default:
            throw RuntimeError.unsupported(node: node.name, problem: "float \(node.op.name) with \(w.dtype.name) weights quantized that way (float32, or int8 per channel on axis 0)")
        }
        for i in 0 ..< n * k where !weights[i].isFinite {
            throw fail(node, "weight \(i) of '\(w.name)' is \(weights[i].isNaN ? "NaN" : "infinite")")
        }
        if let g = conv { Self.toChannelsLast(weights, filters: n, channels: g.channels, kernel: g.kernel, scratch: weights + n * k) }
        pith_f32_pack(weights, Int32(n), Int32(k), &packed)
        }
        var bias: UnsafeMutablePointer<Float>? = nil
        if let b {
            guard b.info.dtype == .float32 else { throw fail(node, "a float op's bias must be float32") }
            let braw = file.data(of: b.index)
            let p = try store.floats(n)
            for i in 0 ..< n {
                p[i] = Float(bitPattern: UInt32(littleEndian: braw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                guard p[i].isFinite else { throw fail(node, "bias \(i) of '\(b.info.name)' is not finite") }
            }
            bias = p
        }
        return FloatLinear(input: x, output: out, packed: packed, bias: bias, relu: relu, conv: conv)
    }

    /// Reorders conv weights (F, C, k, k) → (F, k, k, C) in place: the order of a
    /// channels-last patch row. `scratch`: C·k·k elements for one filter's copy.
    static func toChannelsLast<T>(_ w: UnsafeMutablePointer<T>, filters: Int, channels: Int, kernel: Int, scratch copy: UnsafeMutablePointer<T>) {
        let per = channels * kernel * kernel
        guard channels > 1, per > 0 else { return }
        for f in 0 ..< filters {
            let row = w + f * per
            copy.update(from: row, count: per)
            for c in 0 ..< channels {
                for t in 0 ..< kernel * kernel { row[t * channels + c] = copy[c * kernel * kernel + t] }
            }
        }
    }

    func quantizedLinear(_ node: Node, x: Int, out: Int, w: TensorInfo, wIndex: Int, b: (info: TensorInfo, index: Int)?,
                         n: Int, k: Int, relu: Bool, conv: ConvGeometry?) throws(RuntimeError) -> QuantizedLinear {
        let xv = values[x], ov = values[out]
        // No int32 accumulator may overflow, in any order of summing: |bias| + |za·Σw| + |Σ a·w|
        // ≤ |bias| + 2·K·255·128 must stay within int32 (docs/FORMAT.md, "Integer ops").
        let reach = 2 * 255 * 128 * k
        guard reach < Int(Int32.max) else {
            throw fail(node, "sums \(k) products per output; its int32 accumulators could overflow (at most \(Int(Int32.max) / (2 * 255 * 128)))")
        }
        var scales = try symmetricScales(w, rows: n, node)
        let outputOrder = channelOrder.outputs[node.outputs[0]], inputOrder = channelOrder.inputs[node.inputs[0]]
        if let order = outputOrder { scales = order.map { scales[$0] } }
        let raw = file.data(of: wIndex)
        // Patches read in place (offsets into the padded input): channels a multiple of 4,
        // or 1 or 2 with each kernel row widened to whole groups of 4 bytes.
        var kernelWidth = 0
        if let g = conv, g.channels % 4 == 0 || g.channels == 1 || g.channels == 2 {
            kernelWidth = (g.kernel * g.channels + 3) / 4 * 4 / g.channels
        }
        let packedK = conv.map { kernelWidth > 0 ? $0.kernel * kernelWidth * $0.channels : k } ?? k
        var packed = pith_q8_packed(K: Int32(packedK), N: Int32(n), K4: 0, NP: 0,
                                    data: try store.allocate(Int(pith_q8_packed_bytes(Int32(packedK), Int32(n)))).bindMemory(to: Int8.self, capacity: 1),
                                    colsum: try store.ints(n))
        // The weights, then as much again for the copies of reordering them in place.
        try store.withTemporary(2 * n * k, of: Int8.self) { rows throws(RuntimeError) in
            let r = rows.baseAddress!, copy = r + n * k
            for i in 0 ..< n * k { r[i] = Int8(bitPattern: raw[i]) }
            if let order = outputOrder { ChannelOrder.permuteRows(r, per: k, order: order, scratch: copy) }
            if let order = inputOrder, let g = conv {
                for f in 0 ..< n { ChannelOrder.permuteRows(r + f * k, per: g.kernel * g.kernel, order: order, scratch: copy) }
            }
            if let g = conv { Self.toChannelsLast(r, filters: n, channels: g.channels, kernel: g.kernel, scratch: copy) }
            guard let g = conv, kernelWidth > g.kernel else {
                pith_q8_pack(r, Int32(n), Int32(packedK), &packed)
                return
            }
            // (F, k, k, C) → (F, k, kernelWidth, C), zeros past the kernel.
            try store.withTemporary(n * packedK, of: Int8.self) { wide throws(RuntimeError) in
                let run = g.kernel * g.channels, wideRun = kernelWidth * g.channels
                for f in 0 ..< n {
                    for ky in 0 ..< g.kernel {
                        for t in 0 ..< run { wide[f * packedK + ky * wideRun + t] = r[f * k + ky * run + t] }
                    }
                }
                pith_q8_pack(wide.baseAddress!, Int32(n), Int32(packedK), &packed)
            }
        }
        var bias: UnsafeMutablePointer<Int32>? = nil
        if let b {
            let p = try int32Bias(b.index, b.info, count: n, reach: reach, products: k, node)
            if let order = outputOrder { ChannelOrder.permuteRows(p, per: 1, order: order) }
            bias = p
        }
        let mult = try store.ints(n), shift = try store.ints(n)
        for c in 0 ..< n {
            // The integer sum is in units of sx·sw[c]; the output's are sy.
            let m = Double(xv.scale) * Double(scales[c]) / Double(ov.scale)
            guard m > 0, m < 1_048_576.0 else { throw fail(node, "the requantization multiplier of channel \(c) is not in (0, 2^20)") }
            pith_q8_quantize_multiplier(m, mult + c, shift + c)
        }
        let stage = pith_q8_output(a_zero: xv.zeroPoint, bias: bias, mult: mult, shift: shift, out_zero: ov.zeroPoint,
                                   out_min: relu ? max(0, ov.zeroPoint) : 0, out_max: 255)
        // A Dense layer's column starts, bias − za·colsum, computed once here rather than on
        // every run.
        var start: UnsafeMutablePointer<Int32>? = nil
        if conv == nil {
            let p = try store.ints(n)
            pith_q8_gemm_start(&packed, bias, xv.zeroPoint, p)
            start = p
        }
        var offsets: UnsafeMutablePointer<Int32>? = nil
        if let g = conv, kernelWidth > 0 {
            let p = try store.ints(packedK / 4)
            pith_q8_conv_offsets(Int32(g.channels), Int32(g.kernel), Int32(kernelWidth), Int32(g.paddedWidth), p)
            offsets = p
        }
        return QuantizedLinear(input: x, output: out, packed: packed, outputStage: stage, conv: conv, inputZero: UInt8(xv.zeroPoint),
                               convOffsets: offsets, kernelWidth: kernelWidth, start: start)
    }

    /// The scales of int8 weights symmetric per row (axis 0) or per tensor.
    func symmetricScales(_ t: TensorInfo, rows: Int, _ node: Node) throws(RuntimeError) -> [Float] {
        switch t.quantization {
        case let .perChannel(0, s, z) where z.allSatisfy({ $0 == 0 }): return s
        case let .perTensor(s, 0): return [Float](repeating: s, count: rows)
        default: throw fail(node, "int8 weights must be symmetric (zero point 0), per tensor or per channel on axis 0")
        }
    }

    /// An integer op's int32 bias (constant `index`, `count` values) in the weight store,
    /// each refused when |b| + `reach` could overflow its accumulator of `products` terms.
    func int32Bias(_ index: Int, _ info: TensorInfo, count: Int, reach: Int, products: Int, _ node: Node) throws(RuntimeError) -> UnsafeMutablePointer<Int32> {
        guard info.dtype == .int32 else { throw fail(node, "an integer op's bias must be int32") }
        let raw = file.data(of: index)
        let p = try store.ints(count)
        for i in 0 ..< count {
            p[i] = Int32(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            guard Int(p[i].magnitude) <= Int(Int32.max) - reach else {
                throw fail(node, "bias \(i) is \(p[i]); with \(products) products per output its int32 accumulator could overflow (|bias| at most \(Int(Int32.max) - reach))")
            }
        }
        return p
    }
}
