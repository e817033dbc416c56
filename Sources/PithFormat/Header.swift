/// The 64-byte header (docs/FORMAT.md, "Header").
public struct Header: Sendable, Equatable {
    public static let byteSize = 64
    /// `\x89PITH\r\n\x1A`: a high byte, the name, CR LF and EOF catch 7-bit and text-mode damage.
    public static let magic: [UInt8] = [0x89, 0x50, 0x49, 0x54, 0x48, 0x0D, 0x0A, 0x1A]

    public var version: UInt16
    public var fileSize: UInt64
    public var sectionCount: Int
    /// XXH64 of header bytes 0..<40 followed by the whole section table.
    public var checksum: UInt64

    static func write(to w: inout ByteWriter, fileSize: UInt64, sectionCount: Int) {
        w.bytes.append(contentsOf: magic)
        w.u16(PithFormatVersion.current)
        w.u16(UInt16(byteSize))
        w.u32(0)
        w.u64(fileSize)
        w.u32(UInt32(sectionCount))
        w.u32(UInt32(SectionEntry.byteSize))
        w.u64(UInt64(byteSize))
        w.u64(0)  // checksum, patched once the table is written
        w.zeros(16)
    }

    /// Reads and checks the header of a file of `fileSize` bytes (at least 64 + 16).
    static func read(_ bytes: UnsafeRawBufferPointer, limits: Limits) throws(FormatError) -> Header {
        var r = ByteReader(bytes, section: "header")
        for i in 0 ..< 8 where try r.u8("magic") != magic[i] { throw .badMagic }
        let version = try r.u16("version")
        guard version == PithFormatVersion.current else { throw .unsupportedVersion(version) }
        let headerSize = try r.u16("headerSize")
        guard headerSize == byteSize else { throw .invalid(field: "header.headerSize", problem: "\(headerSize), expected \(byteSize)") }
        let flags = try r.u32("flags")
        guard flags == 0 else { throw .invalid(field: "header.flags", problem: "unknown flags \(flags); version 1 defines none") }
        let fileSize = try r.u64("fileSize")
        guard fileSize == UInt64(bytes.count) else {
            throw .invalid(field: "header.fileSize", problem: "says \(fileSize) bytes but the file has \(bytes.count) (truncated or padded)")
        }
        let count = try r.u32("sectionCount")
        guard count >= 3 else { throw .invalid(field: "header.sectionCount", problem: "\(count); at least 3 (metadata, graph, tensor table)") }
        guard count <= limits.maxSections else {
            throw .limitExceeded(field: "header.sectionCount", value: UInt64(count), limit: UInt64(limits.maxSections))
        }
        let entrySize = try r.u32("sectionEntrySize")
        guard entrySize == SectionEntry.byteSize else { throw .invalid(field: "header.sectionEntrySize", problem: "\(entrySize), expected 64") }
        let tableOffset = try r.u64("sectionTableOffset")
        guard tableOffset == UInt64(byteSize) else { throw .invalid(field: "header.sectionTableOffset", problem: "\(tableOffset), expected 64") }
        let checksum = try r.u64("checksum")
        for _ in 0 ..< 2 where try r.u64("reserved") != 0 {
            throw .invalid(field: "header.reserved", problem: "reserved bytes must be zero")
        }
        // The table must fit before the trailer; count ≤ 256 keeps this product small.
        let tableEnd = UInt64(byteSize) + UInt64(count) * UInt64(SectionEntry.byteSize)
        guard tableEnd <= fileSize - Trailer.byteSize else { throw .truncated(field: "section table") }
        return Header(version: version, fileSize: fileSize, sectionCount: Int(count), checksum: checksum)
    }
}

extension Header {
    /// Header bytes 0..<40 followed by the section table: what the header checksum covers.
    static func checksummed(_ bytes: UnsafeRawBufferPointer, sectionCount: Int) -> [UInt8] {
        let table = byteSize ..< byteSize + sectionCount * SectionEntry.byteSize
        return Array(bytes[0 ..< 40]) + Array(bytes[table])
    }
}
