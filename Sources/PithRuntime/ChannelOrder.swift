import CPithRuntimeKernels
import PithFormat

/// A reordering of the channels between two int8 convolutions that changes no result and
/// gives the second one's zero skipping more to skip.
///
/// The int8 GEMM skips a group of 4 input channels at a kernel position where they are
/// zero for every pixel of a tile. After a ReLU convolution, a channel whose requantized
/// bias is at or below the output's zero point is 0 wherever its input patch is all zero
/// (image background, padding): "dead on a blank input". Putting those channels first
/// packs them into whole groups, so blank regions skip them together. For a chain
///
///     A: Conv2D(relu) → t1 [→ MaxPool → t2] → B: Conv2D
///
/// where t1 (and t2) have no other reader and are not graph outputs, A's output channels
/// (weight rows, bias, scales) and B's input channels are permuted alike; the pool works
/// per channel, so B's output is bit for bit what it was.
struct ChannelOrder {
    /// Output tensor of A → the new order (new channel i holds old channel order[i]).
    var outputs: [Int: [Int]] = [:]
    /// Input tensor of B → the same order, for B's weights.
    var inputs: [Int: [Int]] = [:]

    /// No reordering.
    init() {}

    init(file: PithFile) {
        let nodes = file.graph.nodes
        var readers = [[Int]](repeating: [], count: file.tensors.count)
        for (i, node) in nodes.enumerated() {
            for t in node.inputs where t >= 0 && t < readers.count { readers[t].append(i) }
        }
        let graphOutputs = Set(file.graph.outputs)
        func onlyReader(_ t: Int) -> Node? {
            guard t >= 0, t < readers.count, readers[t].count == 1, !graphOutputs.contains(t) else { return nil }
            return nodes[readers[t][0]]
        }
        for a in nodes where a.op == .conv2d && a.attribute("relu") == 1 && a.inputs.count == 3 {
            let t1 = a.outputs[0]
            guard var next = onlyReader(t1) else { continue }
            var into = t1
            if next.op == .maxPool {
                into = next.outputs[0]
                guard let b = onlyReader(into) else { continue }
                next = b
            }
            guard next.op == .conv2d, next.inputs.first == into, let order = Self.deadFirst(file, a) else { continue }
            outputs[t1] = order
            inputs[into] = order
        }
    }

    /// A's channels with the dead-on-blank ones first, or nil when that changes nothing
    /// or A is not an int8 convolution with an int32 bias.
    static func deadFirst(_ file: PithFile, _ a: Node) -> [Int]? {
        let x = file.tensors[a.inputs[0]], w = file.tensors[a.inputs[1]], b = file.tensors[a.inputs[2]], y = file.tensors[a.outputs[0]]
        guard w.dtype == .int8, b.dtype == .int32, x.dtype == .uint8, y.dtype == .uint8, w.shape.count == 4,
              case let .perTensor(sx, _) = x.quantization, case let .perTensor(sy, zy) = y.quantization else { return nil }
        let n = w.shape[0]
        let scales: [Float]
        switch w.quantization {
        case let .perChannel(0, s, _) where s.count == n: scales = s
        case let .perTensor(s, _): scales = [Float](repeating: s, count: n)
        default: return nil
        }
        let raw = file.data(of: a.inputs[2])
        guard raw.count >= 4 * n else { return nil }
        var dead: [Int] = [], live: [Int] = []
        for c in 0 ..< n {
            let bias = Int32(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * c, as: UInt32.self)))
            let m = Double(sx) * Double(scales[c]) / Double(sy)
            guard m > 0, m < 1_048_576.0 else { return nil }
            var mult: Int32 = 0, shift: Int32 = 0
            pith_q8_quantize_multiplier(m, &mult, &shift)
            // A blank patch sums to the bias alone: (q − za)·w = 0 everywhere.
            let code = Int64(zy) + Int64(pith_q8_multiply_by_quantized_multiplier(bias, mult, shift))
            if code <= Int64(max(0, zy)) { dead.append(c) } else { live.append(c) }
        }
        guard !dead.isEmpty, !live.isEmpty, dead.count >= 4 else { return nil }
        return dead + live
    }

    /// rows (count, per) in place: new row i = old row order[i]. `scratch` (per × count
    /// elements, counted in the caller's budget) holds the copy; nil: allocated here.
    static func permuteRows<T>(_ p: UnsafeMutablePointer<T>, per: Int, order: [Int], scratch: UnsafeMutablePointer<T>? = nil) {
        let copy = scratch ?? UnsafeMutablePointer<T>.allocate(capacity: per * order.count)
        defer { if scratch == nil { copy.deallocate() } }
        copy.update(from: p, count: per * order.count)
        for (i, old) in order.enumerated() { (p + i * per).update(from: copy + old * per, count: per) }
    }
}
