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

/// A reversible transform of a constant's bytes, applied before compression where it
/// lowers their order-0 entropy (docs/FORMAT.md, "Filters").
public enum DataFilter: UInt8, Sendable {
    case none = 0
    /// 8-bit tensors only: each row (the elements of one index of axis 0) is stored as its
    /// first byte followed by differences, d[i] = b[i] − b[i−1] mod 256. Neighbouring
    /// input pixels have similar weights in an MLP's first layer; elsewhere it does not pay.
    case rowDelta = 1

    public var name: String { self == .none ? "none" : "row-delta" }
}

/// Where a constant's bytes are: a range of a decoded tensor-data section.
public struct DataLocation: Sendable, Equatable {
    /// Index of the section in the section table (a section of kind `tensorData`).
    public var section: Int
    /// Offset into the decoded section; a multiple of 64.
    public var offset: Int
    /// Bytes: element count × dtype size, exactly.
    public var size: Int
    /// How the bytes are stored; only in zstd sections (raw ones are used in place).
    public var filter: DataFilter

    public init(section: Int, offset: Int, size: Int, filter: DataFilter = .none) {
        self.section = section
        self.offset = offset
        self.size = size
        self.filter = filter
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
