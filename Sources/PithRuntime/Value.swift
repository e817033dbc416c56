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
