/// NumPy's `.npz`: a zip archive of `.npy` files, one per array (`np.savez(path, x=..., y=...)`
/// writes `x.npy` and `y.npy`).
///
/// The reader walks the central directory at the end of the archive (the authority on
/// names, sizes and offsets; numpy's local headers carry zip64 placeholders), checks every
/// offset and size against the file before reading, checks each entry's local header (its
/// name and method) and its CRC-32, and decodes each entry with `NPY.decode`. Stored
/// entries (`np.savez`) are read here; deflated ones (`np.savez_compressed`) need the
/// caller's `inflate` (PithIO links no zlib: the toolchain passes zlib's, PithNN
/// `Gzip.inflateRaw`) and are refused with one line without it. Refused too: encrypted
/// entries, other compression methods, zip64 and multi-disk archives (over 4 GiB or 65,535
/// entries, beyond `IOLimits.maxInputBytes` anyway), entries that are not `.npy` files,
/// and a name twice.
public enum NPZ {
    /// Most entries in one archive.
    public static let maxEntries = 4096

    /// One array of an archive: `name` without its `.npy`, as `np.load(path)[name]` has it.
    public struct Member: Equatable, Sendable {
        public let name: String
        public let array: NumericArray
    }

    /// An entry as the central directory describes it.
    public struct Entry: Equatable, Sendable {
        /// The name in the archive ("x.npy").
        public let name: String
        /// 0 stored, 8 deflated.
        public let method: Int
        public let crc32: UInt32
        public let compressedSize: Int
        public let uncompressedSize: Int
        /// Where the entry's (compressed) bytes start.
        let dataOffset: Int
    }

    /// Whether `bytes` start like a zip archive (a local header, or the end record of an
    /// empty archive).
    public static func looksLikeZip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x50 && bytes[1] == 0x4B && ((bytes[2] == 3 && bytes[3] == 4) || (bytes[2] == 5 && bytes[3] == 6))
    }

    /// The arrays of an archive of stored entries; a deflated entry is refused.
    public static func decode(_ bytes: [UInt8], file: String, maxValues: Int = IOLimits.maxValues) throws(IOFailure) -> [Member] {
        try decode(bytes, file: file, maxValues: maxValues) { entry, _ throws(IOFailure) -> [UInt8] in
            throw IOFailure(file, "entry '\(entry.name)' is deflated (np.savez_compressed); this reader takes stored entries (np.savez)")
        }
    }

    /// The arrays of an archive; `inflate` turns a deflated entry's bytes (raw deflate, no
    /// zlib header) into exactly `entry.uncompressedSize` bytes, or throws.
    public static func decode(_ bytes: [UInt8], file: String, maxValues: Int = IOLimits.maxValues,
                              inflate: (Entry, ArraySlice<UInt8>) throws(IOFailure) -> [UInt8]) throws(IOFailure) -> [Member] {
        var members: [Member] = []
        for entry in try entries(bytes, file: file) {
            let stored = bytes[entry.dataOffset..<(entry.dataOffset + entry.compressedSize)]
            let data: [UInt8]
            if entry.method == 0 {
                data = Array(stored)
            } else {
                guard entry.uncompressedSize <= IOLimits.maxInputBytes else {
                    throw IOFailure(file, "entry '\(entry.name)' inflates to \(entry.uncompressedSize) bytes, over the \(IOLimits.maxInputBytes)-byte limit")
                }
                data = try inflate(entry, stored)
                guard data.count == entry.uncompressedSize else {
                    throw IOFailure(file, "entry '\(entry.name)' inflates to \(data.count) bytes, the archive says \(entry.uncompressedSize)")
                }
            }
            guard CRC32.of(data[...]) == entry.crc32 else { throw IOFailure(file, "entry '\(entry.name)' fails its CRC-32 check (the archive is corrupt)") }
            let array = try NPY.decode(data, file: file + "/" + entry.name, maxValues: maxValues)
            members.append(Member(name: String(entry.name.dropLast(4)), array: array))
        }
        return members
    }

    /// The entries of a zip archive, each checked to lie within `bytes`.
    public static func entries(_ bytes: [UInt8], file: String) throws(IOFailure) -> [Entry] {
        func bad(_ problem: String) -> IOFailure { IOFailure(file, problem) }
        let n = bytes.count
        // The end of central directory record: 22 bytes and a comment of up to 65,535.
        var end = -1
        if n >= 22 {
            var at = n - 22
            while at >= 0 && at >= n - 22 - 0xFFFF {
                if Bytes.le32(bytes, at) == 0x0605_4B50 && at + 22 + Bytes.le16(bytes, at + 20) == n { end = at; break }
                at -= 1
            }
        }
        guard end >= 0 else { throw bad("not a zip archive (.npz): no end of central directory record") }
        let disk = Bytes.le16(bytes, end + 4), cdDisk = Bytes.le16(bytes, end + 6)
        let here = Bytes.le16(bytes, end + 8), count = Bytes.le16(bytes, end + 10)
        let cdSize = Bytes.le32(bytes, end + 12), cdOffset = Bytes.le32(bytes, end + 16)
        guard count != 0xFFFF, cdSize != 0xFFFF_FFFF, cdOffset != 0xFFFF_FFFF else {
            throw bad("a zip64 archive (over 4 GiB or 65535 entries) is not read")
        }
        guard disk == 0, cdDisk == 0, here == count else { throw bad("a multi-disk zip archive is not read") }
        guard count <= maxEntries else { throw bad("\(count) entries, more than the \(maxEntries) allowed") }
        guard cdOffset + cdSize <= end else {
            throw bad("the central directory (\(cdSize) bytes at \(cdOffset)) runs past the end record at \(end)")
        }
        var entries: [Entry] = []
        var p = cdOffset
        for i in 0..<count {
            guard p + 46 <= cdOffset + cdSize, Bytes.le32(bytes, p) == 0x0201_4B50 else {
                throw bad("central directory entry \(i) is missing or truncated")
            }
            let flags = Bytes.le16(bytes, p + 8), method = Bytes.le16(bytes, p + 10)
            let crc = UInt32(Bytes.le32(bytes, p + 16))
            let compressed = Bytes.le32(bytes, p + 20), uncompressed = Bytes.le32(bytes, p + 24)
            let nameLength = Bytes.le16(bytes, p + 28), extraLength = Bytes.le16(bytes, p + 30), commentLength = Bytes.le16(bytes, p + 32)
            let local = Bytes.le32(bytes, p + 42)
            let next = p + 46 + nameLength + extraLength + commentLength
            guard next <= cdOffset + cdSize else { throw bad("central directory entry \(i) runs past the directory") }
            let name = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            let quoted = Bytes.quote(bytes[(p + 46)..<(p + 46 + nameLength)], limit: 80)
            guard flags & 1 == 0 else { throw bad("entry '\(quoted)' is encrypted") }
            guard method == 0 || method == 8 else { throw bad("entry '\(quoted)' uses compression method \(method) (only 0 stored and 8 deflated)") }
            guard compressed != 0xFFFF_FFFF, uncompressed != 0xFFFF_FFFF, local != 0xFFFF_FFFF else {
                throw bad("entry '\(quoted)' has zip64 sizes (over 4 GiB); not read")
            }
            guard method == 8 || compressed == uncompressed else {
                throw bad("stored entry '\(quoted)' has \(compressed) bytes but says it holds \(uncompressed)")
            }
            guard name.hasSuffix(".npy"), nameLength > 4 else { throw bad("entry '\(quoted)' is not a .npy array") }
            guard !entries.contains(where: { $0.name == name }) else { throw bad("entry '\(quoted)' appears twice") }
            // The local header: its own name and extra lengths say where the data starts.
            guard local + 30 <= cdOffset, Bytes.le32(bytes, local) == 0x0403_4B50 else {
                throw bad("entry '\(quoted)': no local header at offset \(local)")
            }
            let localName = Bytes.le16(bytes, local + 26), localExtra = Bytes.le16(bytes, local + 28)
            let data = local + 30 + localName + localExtra
            guard localName == nameLength, data <= cdOffset,
                  bytes[(local + 30)..<(local + 30 + localName)].elementsEqual(bytes[(p + 46)..<(p + 46 + nameLength)]) else {
                throw bad("entry '\(quoted)': its local header does not match the central directory")
            }
            guard Bytes.le16(bytes, local + 8) == method else { throw bad("entry '\(quoted)': its local header gives another compression method") }
            guard data + compressed <= cdOffset else {
                throw bad("entry '\(quoted)': \(compressed) bytes at offset \(data) run past the central directory at \(cdOffset)")
            }
            entries.append(Entry(name: name, method: method, crc32: crc, compressedSize: compressed, uncompressedSize: uncompressed, dataOffset: data))
            p = next
        }
        return entries
    }

    /// A zip archive of stored entries: each array's `.npy` bytes under `name` + ".npy",
    /// as `np.savez` would write them (np.load reads it). Each entry under 4 GiB.
    public static func encode(_ arrays: [(name: String, npy: [UInt8])]) -> [UInt8] {
        precondition(arrays.count < 0xFFFF, "NPZ: too many entries")
        var out: [UInt8] = []
        var central: [UInt8] = []
        func u16(_ v: Int, _ to: inout [UInt8]) { Bytes.append(UInt64(v), width: 2, bigEndian: false, to: &to) }
        func u32(_ v: Int, _ to: inout [UInt8]) { Bytes.append(UInt64(v), width: 4, bigEndian: false, to: &to) }
        for (name, npy) in arrays {
            let fileName = Array((name + ".npy").utf8)
            precondition(npy.count < 0xFFFF_FFFF && out.count < 0xFFFF_FFFF && fileName.count <= 0xFFFF, "NPZ: an entry over 4 GiB")
            let crc = Int(CRC32.of(npy[...]))
            let offset = out.count
            // Local header: signature, version 2.0, flags 0, method 0, time and date 0.
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0x21, &out)
            u32(crc, &out); u32(npy.count, &out); u32(npy.count, &out); u16(fileName.count, &out); u16(0, &out)
            out += fileName
            out += npy
            u32(0x0201_4B50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0x21, &central); u32(crc, &central); u32(npy.count, &central); u32(npy.count, &central)
            u16(fileName.count, &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central)
            u32(0, &central); u32(offset, &central)
            central += fileName
        }
        let cdOffset = out.count
        out += central
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out); u16(arrays.count, &out); u16(arrays.count, &out)
        u32(central.count, &out); u32(cdOffset, &out); u16(0, &out)
        return out
    }
}

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as zip and gzip use it.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func of(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        }
        return c ^ 0xFFFF_FFFF
    }
}
