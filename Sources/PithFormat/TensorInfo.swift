/// How a tensor's integers map to real numbers: real = scale · (q − zeroPoint).
public enum Quantization: Sendable, Equatable {
    case none
    /// One scale and zero point for the whole tensor.
    case perTensor(scale: Float, zeroPoint: Int32)
    /// One scale and zero point per index of `axis` (e.g. axis 0: per output channel).
    case perChannel(axis: Int, scales: [Float], zeroPoints: [Int32])
}

/// What a tensor is for.
public enum TensorRole: UInt8, Sendable {
    /// A constant with bytes in a tensor-data section (weights, biases).
    case constant = 0
    /// A value made at run time: a graph input or a node output. Its shape is per sample;
    /// the batch axis is implicit and leading. It has no data.
    case value = 1
}

/// Where a constant's bytes are: a range of a decoded tensor-data section.
public struct DataLocation: Sendable, Equatable {
    /// Index of the section in the section table (a section of kind `tensorData`).
    public var section: Int
    /// Offset into the decoded section; a multiple of 64.
    public var offset: Int
    /// Bytes: element count × dtype size, exactly.
    public var size: Int

    public init(section: Int, offset: Int, size: Int) {
        self.section = section
        self.offset = offset
        self.size = size
    }
}

/// One entry of the tensor table.
public struct TensorInfo: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var role: TensorRole
    public var quantization: Quantization
    /// Set for constants, nil for values.
    public var location: DataLocation?

    public init(name: String, dtype: DType, shape: [Int], role: TensorRole,
                quantization: Quantization = .none, location: DataLocation? = nil) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.role = role
        self.quantization = quantization
        self.location = location
    }

    /// Product of the dimensions (1 for rank 0).
    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { elementCount * dtype.size }
}
