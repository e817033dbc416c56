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

/// What a run reads of a value, without its name and shape arrays: a plain struct that is
/// read field by field (a `Value` held in an array is copied whole, its references
/// retained and released, to read one field on a 32-bit build).
struct ValueLayout {
    var dtype: DType
    var elements: Int
    var bytesPerSample: Int
    /// The last dimension (softmax's rows).
    var lastDimension: Int
    var scale: Float
    var zeroPoint: Int32
    /// Byte offset in the arena.
    var offset: Int

    init(_ v: Value) {
        dtype = v.dtype
        elements = v.elements
        bytesPerSample = v.bytesPerSample
        lastDimension = v.shape.last ?? 1
        scale = v.scale
        zeroPoint = v.zeroPoint
        offset = v.offset
    }
}
