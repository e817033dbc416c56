/// The 24 bytes `pith build` appends to a runner after the `.pith` file it embeds, and
/// the runner reads back from its own executable (docs/FORMAT.md, "Standalone executables"):
///
///     "PITHEXE1" | UInt64 LE offset of the model | UInt64 LE length of the model
///
/// with offset + length + 24 equal to the executable's size.
public enum StandaloneTrailer {
    public static let magic: [UInt8] = Array("PITHEXE1".utf8)
    public static let byteSize = 24

    /// The trailer for a model of `length` bytes starting at `offset`.
    public static func encode(offset: Int, length: Int) -> [UInt8] {
        var out = magic
        for v in [UInt64(offset), UInt64(length)] {
            for j in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * j))) }
        }
        return out
    }

    /// (offset, length) when `bytes` (the last 24 bytes of a file) is a trailer, else nil;
    /// values beyond Int.max come back as −1, for the caller to refuse.
    public static func decode(_ bytes: [UInt8]) -> (offset: Int, length: Int)? {
        guard bytes.count == byteSize, Array(bytes[0..<8]) == magic else { return nil }
        func field(_ at: Int) -> Int {
            var v: UInt64 = 0
            for j in 0..<8 { v |= UInt64(bytes[at + j]) << UInt64(8 * j) }
            return v > UInt64(Int.max) ? -1 : Int(v)
        }
        return (field(8), field(16))
    }

    /// Whether a decoded (offset, length) describes a model that ends where the trailer
    /// begins in a file of `fileSize` bytes: offset ≥ 0, 0 < length ≤ the format's largest
    /// file, offset + length + 24 = fileSize, all without overflow.
    public static func fits(offset: Int, length: Int, fileSize: Int) -> Bool {
        guard offset >= 0, length > 0, UInt64(length) <= Limits.spec.maxFileSize else { return false }
        let (end, o1) = offset.addingReportingOverflow(length)
        let (total, o2) = end.addingReportingOverflow(byteSize)
        return !o1 && !o2 && total == fileSize
    }
}
