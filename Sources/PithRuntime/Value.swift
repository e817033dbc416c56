import PithFormat

/// A value tensor as the runtime holds it: per-sample shape, element type, quantization
/// (per tensor only for values) and where its buffer lives in the arena. The buffer holds
/// `maxBatch` samples one after another.
struct Value {
    var name: String
    var dtype: DType
    var shape: [Int]
    var scale: Float = 1
    var zeroPoint: Int32 = 0
    var quantized = false
    /// Byte offset in the arena, set by the planner.
    var offset = 0
    /// Held channels-last (H, W, C) inside the runtime: convolutions make their outputs so
    /// (the GEMM's pixel-major result) and pools keep it; Flatten and the graph's output
    /// turn it back to the file's (C, H, W).
    var channelsLast = false

    var elements: Int { shape.reduce(1, *) }
    var bytesPerSample: Int { elements * dtype.size }

    init(_ t: TensorInfo) throws(RuntimeError) {
        name = t.name
        dtype = t.dtype
        shape = t.shape
        switch t.quantization {
        case .none: break
        case let .perTensor(s, z):
            scale = s
            zeroPoint = z
            quantized = true
        case .perChannel:
            throw .unsupported(node: t.name, problem: "per-channel quantization of an activation")
        }
    }
}

/// Lays the values out in one arena: each gets the lowest offset (a multiple of 64) that
/// does not overlap a value still needed when it is made. `lastUse[v]` is the index of the
/// last step that reads v (graph outputs: past the last step).
enum ArenaPlanner {
    static func plan(sizes: [Int], producedAt: [Int], lastUse: [Int]) -> (offsets: [Int], total: Int) {
        var offsets = [Int](repeating: 0, count: sizes.count)
        var placed: [(start: Int, end: Int, made: Int, last: Int)] = []
        var total = 0
        let order = sizes.indices.filter { sizes[$0] > 0 }.sorted { producedAt[$0] < producedAt[$1] }
        for v in order {
            let size = (sizes[v] + 63) / 64 * 64
            // Buffers alive at some point of v's life [producedAt, lastUse].
            let live = placed.filter { $0.last >= producedAt[v] && $0.made <= lastUse[v] }.sorted { $0.start < $1.start }
            var candidate = 0
            for block in live {
                if candidate + size <= block.start { break }
                candidate = max(candidate, block.end)
            }
            offsets[v] = candidate
            placed.append((candidate, candidate + size, producedAt[v], lastUse[v]))
            total = max(total, candidate + size)
        }
        return (offsets, total)
    }
}
