/// Fixed-width integers read from and appended to byte arrays, in either byte order. The
/// callers check the bounds first; these do not.
enum Bytes {
    /// `width` bytes at `at` as an unsigned integer, little-endian or big-endian.
    static func load(_ b: [UInt8], _ at: Int, width: Int, bigEndian: Bool) -> UInt64 {
        var v: UInt64 = 0
        for j in 0..<width {
            let byte = UInt64(b[at + (bigEndian ? j : width - 1 - j)])
            v = v << 8 | byte
        }
        return v
    }

    static func le16(_ b: [UInt8], _ at: Int) -> Int { Int(load(b, at, width: 2, bigEndian: false)) }
    static func le32(_ b: [UInt8], _ at: Int) -> Int { Int(load(b, at, width: 4, bigEndian: false)) }
    static func be32(_ b: [UInt8], _ at: Int) -> Int { Int(load(b, at, width: 4, bigEndian: true)) }

    /// Appends `value`'s low `width` bytes, little-endian or big-endian.
    static func append(_ value: UInt64, width: Int, bigEndian: Bool, to out: inout [UInt8]) {
        for j in 0..<width {
            let shift = UInt64(8 * (bigEndian ? width - 1 - j : j))
            out.append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }

    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }

    /// `s` without leading and trailing white space (space, tab, CR, LF).
    static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi, isSpace(s[lo]) { lo += 1 }
        while hi > lo, isSpace(s[hi - 1]) { hi -= 1 }
        return s[lo..<hi]
    }

    /// Bytes for a one-line error message: the first `limit` of them, cut before a UTF-8
    /// continuation byte, and "…" when cut; control characters written as \n, \r, \t, \u{…}.
    static func quote(_ field: ArraySlice<UInt8>, limit: Int = 24) -> String {
        var end = field.endIndex
        if field.count > limit {
            end = field.startIndex + limit
            while end > field.startIndex && field[end] & 0xC0 == 0x80 { end -= 1 }
        }
        var text = ""
        for scalar in String(decoding: field[field.startIndex..<end], as: UTF8.self).unicodeScalars {
            switch scalar.value {
            case 0x0A: text += "\\n"
            case 0x0D: text += "\\r"
            case 0x09: text += "\\t"
            case 0..<0x20, 0x7F: text += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return end < field.endIndex ? text + "…" : text
    }

    /// A hexadecimal byte as "0x0d".
    static func hex(_ b: UInt8) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        return "0x" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
    }
}
