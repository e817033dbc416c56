/// What a section holds.
public enum SectionKind: UInt32, Sendable {
    case metadata = 1
    case graph = 2
    case tensorTable = 3
    case tensorData = 4

    public var name: String {
        switch self {
        case .metadata: return "metadata"
        case .graph: return "graph"
        case .tensorTable: return "tensor table"
        case .tensorData: return "tensor data"
        }
    }
}

/// How a section's bytes are stored.
public enum SectionEncoding: UInt32, Sendable {
    /// As is, at a file offset that is a multiple of 64: usable in place from a memory map.
    case raw = 0
    /// One zstd frame that decodes to exactly the declared size.
    case zstd = 1

    public var name: String { self == .raw ? "raw" : "zstd" }
}

/// One 64-byte entry of the section table (docs/FORMAT.md, "Section table entry").
public struct SectionEntry: Sendable, Equatable {
    public static let byteSize = 64

    public var kind: SectionKind
    public var encoding: SectionEncoding
    /// Where the stored bytes start in the file.
    public var offset: UInt64
    /// Bytes in the file.
    public var storedSize: UInt64
    /// Bytes after decoding (equal to `storedSize` when raw).
    public var size: UInt64
    /// XXH64 (seed 0) of the decoded bytes.
    public var checksum: UInt64

    public init(kind: SectionKind, encoding: SectionEncoding, offset: UInt64, storedSize: UInt64, size: UInt64, checksum: UInt64) {
        self.kind = kind
        self.encoding = encoding
        self.offset = offset
        self.storedSize = storedSize
        self.size = size
        self.checksum = checksum
    }

    func write(to w: inout ByteWriter) {
        w.u32(kind.rawValue)
        w.u32(encoding.rawValue)
        w.u64(offset)
        w.u64(storedSize)
        w.u64(size)
        w.u64(checksum)
        w.zeros(24)
    }

    /// Reads entry `index` and checks what can be checked without the other entries.
    static func read(_ r: inout ByteReader, index: Int, fileSize: UInt64, limits: Limits) throws(FormatError) -> SectionEntry {
        let field = "section[\(index)]"
        let kindCode = try r.u32("\(field).kind")
        guard let kind = SectionKind(rawValue: kindCode) else {
            throw .invalid(field: "\(field).kind", problem: "unknown section kind \(kindCode)")
        }
        let encodingCode = try r.u32("\(field).encoding")
        guard let encoding = SectionEncoding(rawValue: encodingCode) else {
            throw .invalid(field: "\(field).encoding", problem: "unknown encoding \(encodingCode)")
        }
        let offset = try r.u64("\(field).offset")
        let storedSize = try r.u64("\(field).storedSize")
        let size = try r.u64("\(field).size")
        let checksum = try r.u64("\(field).checksum")
        for i in 0 ..< 3 where try r.u64("\(field).reserved") != 0 {
            throw .invalid(field: "\(field).reserved[\(i)]", problem: "reserved bytes must be zero")
        }
        guard size <= limits.maxSectionSize else {
            throw .limitExceeded(field: "\(field).size", value: size, limit: limits.maxSectionSize)
        }
        // The sections lie between the section table and the trailer.
        let (end, overflow) = offset.addingReportingOverflow(storedSize)
        guard !overflow, end <= fileSize - Trailer.byteSize else {
            throw .invalid(field: "\(field).offset", problem: "bytes \(offset) + \(storedSize) run past the end of the sections (\(fileSize - Trailer.byteSize))")
        }
        switch encoding {
        case .raw:
            guard offset % 64 == 0 else { throw .misaligned(field: "\(field).offset", value: offset) }
            guard storedSize == size else {
                throw .invalid(field: "\(field).storedSize", problem: "a raw section's stored size \(storedSize) differs from its size \(size)")
            }
        case .zstd:
            guard storedSize > 0 else { throw .invalid(field: "\(field).storedSize", problem: "a zstd section cannot be empty") }
        }
        return SectionEntry(kind: kind, encoding: encoding, offset: offset, storedSize: storedSize, size: size, checksum: checksum)
    }
}

/// The last 16 bytes: XXH64 of everything before them, then `PITHEND\0`.
enum Trailer {
    static let byteSize: UInt64 = 16
    static let magic: [UInt8] = [0x50, 0x49, 0x54, 0x48, 0x45, 0x4E, 0x44, 0x00]
}
