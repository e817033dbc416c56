/// A model as the writer takes it and the reader gives it back: metadata, tensor table,
/// graph, and each constant's bytes (little-endian, row-major). Tensors' `location`s
/// are chosen by the writer; a model read from a file has them set.
public struct PithModel: Sendable, Equatable {
    public var metadata: Metadata
    public var tensors: [TensorInfo]
    public var graph: Graph
    /// `data[i]`: the bytes of tensor `i` (empty for values).
    public var data: [[UInt8]]

    public init(metadata: Metadata, tensors: [TensorInfo], graph: Graph, data: [[UInt8]]) {
        self.metadata = metadata
        self.tensors = tensors
        self.graph = graph
        self.data = data
    }

    /// Adds a constant and returns its index.
    public mutating func addConstant(_ name: String, dtype: DType, shape: [Int], bytes: [UInt8], quantization: Quantization = .none) -> Int {
        tensors.append(TensorInfo(name: name, dtype: dtype, shape: shape, role: .constant, quantization: quantization))
        data.append(bytes)
        return tensors.count - 1
    }

    /// Adds a value (graph input or node output; per-sample shape) and returns its index.
    public mutating func addValue(_ name: String, dtype: DType, shape: [Int], quantization: Quantization = .none) -> Int {
        tensors.append(TensorInfo(name: name, dtype: dtype, shape: shape, role: .value, quantization: quantization))
        data.append([])
        return tensors.count - 1
    }
}

/// Little-endian bytes of float32 values, for `PithModel.addConstant`.
public func littleEndianBytes(_ values: [Float]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(values.count * 4)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
    return out
}

/// Little-endian bytes of int32 values.
public func littleEndianBytes(_ values: [Int32]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(values.count * 4)
    for v in values { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
    return out
}
