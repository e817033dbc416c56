/// Element types of a tensor (docs/FORMAT.md, "Section 3: tensor table").
public enum DType: UInt8, Sendable, CaseIterable {
    case int8 = 1
    case uint8 = 2
    case int32 = 3
    case float32 = 4

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .int8, .uint8: return 1
        case .int32, .float32: return 4
        }
    }

    public var name: String {
        switch self {
        case .int8: return "int8"
        case .uint8: return "uint8"
        case .int32: return "int32"
        case .float32: return "float32"
        }
    }

    /// The zero points this dtype may carry: its own value range (0 for non-8-bit types).
    var zeroPointRange: ClosedRange<Int32> {
        switch self {
        case .int8: return -128 ... 127
        case .uint8: return 0 ... 255
        case .int32, .float32: return 0 ... 0
        }
    }
}
