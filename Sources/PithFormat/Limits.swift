/// The spec's limits (docs/FORMAT.md, "Limits"). The reader checks every count,
/// length, rank, dimension and size against these before it uses or allocates for it,
/// so the largest allocation a file can cause is bounded by `maxDecodedTotal`.
public struct Limits: Sendable, Equatable {
    /// Largest file, in bytes.
    public var maxFileSize: UInt64 = 1 << 32
    /// Most entries in the section table.
    public var maxSections: UInt32 = 256
    /// Largest decoded section, in bytes.
    public var maxSectionSize: UInt64 = 1 << 30
    /// Most bytes all zstd sections of one file may decode to, together.
    public var maxDecodedTotal: UInt64 = 1 << 30
    /// Longest string, in bytes of UTF-8.
    public var maxStringLength: UInt32 = 4096
    /// Most metadata entries.
    public var maxMetadataEntries: UInt32 = 1024
    /// Most strings in one metadata list.
    public var maxListCount: UInt32 = 4096
    /// Most tensors in the tensor table.
    public var maxTensors: UInt32 = 4096
    /// Highest rank of a tensor.
    public var maxRank: UInt8 = 6
    /// Largest single dimension.
    public var maxDimension: UInt32 = 1 << 24
    /// Most elements in one tensor.
    public var maxElements: UInt64 = 1 << 31
    /// Most nodes in the graph.
    public var maxNodes: UInt32 = 4096
    /// Most graph inputs, and most graph outputs.
    public var maxGraphIO: UInt32 = 64
    /// Most inputs of one node.
    public var maxNodeInputs: UInt8 = 8
    /// Most outputs of one node.
    public var maxNodeOutputs: UInt8 = 4
    /// Most attributes of one node.
    public var maxAttributes: UInt8 = 16

    /// The limits of the spec.
    public static let spec = Limits()

    public init() {}
}
