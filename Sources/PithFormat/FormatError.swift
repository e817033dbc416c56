/// Everything that can be wrong with a `.pith` file, as one typed error.
///
/// Each case names the field it is about, so that `description` reads as one line:
/// which part of the file, which field, what is wrong. The reader never traps on bad
/// input: every check that fails becomes one of these.
public enum FormatError: Error, Equatable, Sendable {
    /// The file could not be opened, read, mapped or written (the system's reason).
    case io(path: String, reason: String)
    /// The path is a directory or another non-regular file.
    case notARegularFile(path: String)
    /// The file has no bytes.
    case empty
    /// The bytes end before `field` does.
    case truncated(field: String)
    /// The first eight bytes are not the `.pith` magic: not a `.pith` file.
    case badMagic
    /// A version this reader does not know.
    case unsupportedVersion(UInt16)
    /// `field` holds a value the spec does not allow.
    case invalid(field: String, problem: String)
    /// `field` is `value`, above the spec's `limit`.
    case limitExceeded(field: String, value: UInt64, limit: UInt64)
    /// A checksum does not match the bytes it covers.
    case checksumMismatch(field: String)
    /// `field` is not on the 64-byte boundary raw data needs.
    case misaligned(field: String, value: UInt64)
    /// Two byte ranges share bytes.
    case overlap(first: String, second: String)
    /// A zstd section could not be decoded to exactly its declared size.
    case decompression(field: String, problem: String)
    /// A tensor's dtype code is not one of the spec's.
    case unknownDType(tensor: String, code: UInt8)
    /// A node's op code is not one of the spec's.
    case unknownOp(node: String, code: UInt16)
    /// The graph's wiring is wrong (a reference to nothing, a value made twice, ...).
    case badGraph(node: String, problem: String)

    /// One line, without the file name (the caller prefixes it).
    public var description: String {
        switch self {
        case let .io(_, reason): return reason
        case .notARegularFile: return "not a regular file (a directory or a device)"
        case .empty: return "the file is empty"
        case let .truncated(field): return "\(field): the file ends before this field does (truncated)"
        case .badMagic: return "header.magic: not a .pith file (wrong magic bytes)"
        case let .unsupportedVersion(v): return "header.version: version \(v) is not supported (this reader knows version \(PithFormatVersion.current))"
        case let .invalid(field, problem): return "\(field): \(problem)"
        case let .limitExceeded(field, value, limit): return "\(field): \(value) is above the limit of \(limit)"
        case let .checksumMismatch(field): return "\(field): checksum mismatch (the bytes are corrupt)"
        case let .misaligned(field, value): return "\(field): \(value) is not a multiple of 64"
        case let .overlap(first, second): return "\(first) overlaps \(second)"
        case let .decompression(field, problem): return "\(field): zstd: \(problem)"
        case let .unknownDType(tensor, code): return "tensor '\(tensor)'.dtype: unknown dtype code \(code)"
        case let .unknownOp(node, code): return "node '\(node)'.op: unknown op code \(code)"
        case let .badGraph(node, problem): return "node '\(node)': \(problem)"
        }
    }
}

/// The structural version of the format; bumped only when a reader of the old version
/// could not read the new layout (docs/FORMAT.md, "Version history").
public enum PithFormatVersion {
    public static let current: UInt16 = 1
}
