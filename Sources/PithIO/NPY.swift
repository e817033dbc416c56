/// NumPy's `.npy` format (numpy.lib.format): the magic `\x93NUMPY`, a major and minor
/// version, the header's length (version 1: UInt16; 2 and 3: UInt32, little-endian), the
/// header — a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`
/// padded with spaces and a newline — then the data.
///
/// Read: versions 1, 2 and 3; C order only (`fortran_order` True is refused, not
/// transposed); `descr` one of `f4 f8` (float32, float64), `u1 b1` (bytes, bool), `i1 i2 i4 i8
/// u2 u4 u8` (integers, as Int64; a u8 value past Int64.max is refused) and `U<n>` (unicode
/// strings, for class names), each little- (`<`) or big-endian (`>`; `|` for one byte).
/// Structured dtypes, object arrays (pickles), float16 and complex numbers are refused. The
/// shape is checked against the bytes that follow the header, exactly: short data and
/// trailing bytes are both refused, and every product is checked before allocating.
public enum NPY {
    /// Longest header read (version 2 and 3 could declare 4 GiB); numpy's own are under 200 bytes.
    public static let maxHeaderLength = 1 << 20
    /// Longest string element, in characters (`<U256`).
    public static let maxStringLength = 256

    /// Whether `bytes` start with the `.npy` magic.
    public static func looksLikeNPY(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 6 && bytes[0] == 0x93 && bytes[1] == 0x4E && bytes[2] == 0x55 && bytes[3] == 0x4D && bytes[4] == 0x50 && bytes[5] == 0x59
    }

    /// The element type a `descr` names.
    struct DType: Equatable {
        enum Kind: Equatable { case float, signed, unsigned, bool, unicode }
        let kind: Kind
        /// Bytes per element.
        let size: Int
        let bigEndian: Bool
    }

    /// The array in `.npy` `bytes`; `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String, maxValues: Int = IOLimits.maxValues) throws(IOFailure) -> NumericArray {
        func bad(_ problem: String) -> IOFailure { IOFailure(file, problem) }
        guard bytes.count >= 10, looksLikeNPY(bytes) else { throw bad("not a .npy file (no \\x93NUMPY magic and version)") }
        let major = bytes[6]
        guard major >= 1, major <= 3 else { throw bad(".npy version \(major) is not read (1, 2 or 3)") }
        let headerStart = major == 1 ? 10 : 12
        guard bytes.count >= headerStart else { throw bad(".npy header is truncated") }
        let headerLength = major == 1 ? Bytes.le16(bytes, 8) : Bytes.le32(bytes, 8)
        guard headerLength <= maxHeaderLength else { throw bad(".npy header length \(headerLength) is over the \(maxHeaderLength)-byte limit") }
        guard headerStart + headerLength <= bytes.count else {
            throw bad(".npy header length \(headerLength) does not fit the file's \(bytes.count) bytes")
        }
        let header = try Header(bytes[headerStart..<(headerStart + headerLength)], file: file)
        guard !header.fortranOrder else { throw bad("'fortran_order' is True: only C order is read ('fortran_order' must be False)") }
        guard let dtype = dtype(header.descr) else {
            throw bad("'descr' '\(Bytes.quote(ArraySlice(header.descr.utf8), limit: 40))' is not read (<f4, <f8, |u1, |b1, <i1...<i8, <u2...<u8 or <U…; big-endian > too)")
        }
        let shape = header.shape
        guard shape.count <= IOLimits.maxRank else { throw bad("'shape' has \(shape.count) sizes, more than \(IOLimits.maxRank)") }
        let dataStart = headerStart + headerLength, present = bytes.count - dataStart
        guard let count = NumericArray.product(shape, limit: maxValues) else {
            throw bad("shape \(shapeText(shape)) is too large: more than the \(maxValues)-value limit")
        }
        let (need, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow, need == present else {
            throw bad("shape \(shapeText(shape)) of '\(header.descr)' needs \(overflow ? "more than \(Int.max)" : String(need)) bytes of data but \(present) follow the header")
        }
        return NumericArray(shape: shape, values: try values(bytes, from: dataStart, count: count, dtype, file: file))
    }

    /// The element type of a `descr` string such as `<f4`, or nil for one not read.
    static func dtype(_ descr: String) -> DType? {
        let d = Array(descr.utf8)
        guard d.count >= 3, d.count <= 6 else { return nil }
        let order = d[0]
        guard order == UInt8(ascii: "<") || order == UInt8(ascii: ">") || order == UInt8(ascii: "|") else { return nil }
        var n = 0
        for c in d[2...] {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            n = n * 10 + Int(c - 0x30)
        }
        let kind: DType.Kind, size: Int
        switch (d[1], n) {
        case (UInt8(ascii: "f"), 4), (UInt8(ascii: "f"), 8): (kind, size) = (.float, n)
        case (UInt8(ascii: "i"), 1), (UInt8(ascii: "i"), 2), (UInt8(ascii: "i"), 4), (UInt8(ascii: "i"), 8): (kind, size) = (.signed, n)
        case (UInt8(ascii: "u"), 1), (UInt8(ascii: "u"), 2), (UInt8(ascii: "u"), 4), (UInt8(ascii: "u"), 8): (kind, size) = (.unsigned, n)
        case (UInt8(ascii: "b"), 1): (kind, size) = (.bool, 1)
        case (UInt8(ascii: "U"), _) where n >= 1 && n <= maxStringLength: (kind, size) = (.unicode, 4 * n)
        default: return nil
        }
        // '|' (no byte order) only for one-byte elements, as numpy writes them.
        if order == UInt8(ascii: "|") && size != 1 { return nil }
        return DType(kind: kind, size: size, bigEndian: order == UInt8(ascii: ">"))
    }

    static func values(_ b: [UInt8], from start: Int, count: Int, _ t: DType, file: String) throws(IOFailure) -> NumericArray.Values {
        func load(_ i: Int) -> UInt64 { Bytes.load(b, start + t.size * i, width: t.size, bigEndian: t.bigEndian) }
        switch t.kind {
        case .unsigned where t.size == 1, .bool:
            return .uint8(Array(b[start..<(start + count)]))
        case .float:
            if t.size == 4 {
                var v = [Float](repeating: 0, count: count)
                for i in 0..<count { v[i] = Float(bitPattern: UInt32(truncatingIfNeeded: load(i))) }
                return .float32(v)
            }
            var v = [Double](repeating: 0, count: count)
            for i in 0..<count { v[i] = Double(bitPattern: load(i)) }
            return .float64(v)
        case .signed:
            let shift = Int64(64 - 8 * t.size)
            var v = [Int64](repeating: 0, count: count)
            for i in 0..<count { v[i] = Int64(bitPattern: load(i) << UInt64(shift)) >> shift }
            return .int64(v)
        case .unsigned:
            var v = [Int64](repeating: 0, count: count)
            for i in 0..<count {
                let x = load(i)
                guard x <= UInt64(Int64.max) else { throw IOFailure(file, "uint64 value \(i) is \(x), past the int64 range") }
                v[i] = Int64(x)
            }
            return .int64(v)
        case .unicode:
            var v: [String] = []
            v.reserveCapacity(count)
            let characters = t.size / 4
            for i in 0..<count {
                var s = ""
                for c in 0..<characters {
                    let code = UInt32(truncatingIfNeeded: Bytes.load(b, start + t.size * i + 4 * c, width: 4, bigEndian: t.bigEndian))
                    if code == 0 { break }
                    guard let scalar = Unicode.Scalar(code) else {
                        throw IOFailure(file, "string \(i) holds \(code), which is not a Unicode scalar")
                    }
                    s.unicodeScalars.append(scalar)
                }
                v.append(s)
            }
            return .strings(v)
        }
    }

    /// A shape as Python writes it: (3, 4), (3,), ().
    static func shapeText(_ shape: [Int]) -> String {
        "(" + shape.map { String($0) }.joined(separator: ", ") + (shape.count == 1 ? ",)" : ")")
    }

    /// `.npy` bytes (version 1.0) of little-endian float32 values: lossless.
    public static func encode(shape: [Int], float32 values: [Float]) -> [UInt8] {
        var out = header(descr: "<f4", shape: shape, count: values.count)
        out.reserveCapacity(out.count + 4 * values.count)
        for v in values { Bytes.append(UInt64(v.bitPattern), width: 4, bigEndian: false, to: &out) }
        return out
    }

    /// `.npy` bytes of unsigned bytes (`|u1`).
    public static func encode(shape: [Int], uint8 values: [UInt8]) -> [UInt8] {
        header(descr: "|u1", shape: shape, count: values.count) + values
    }

    /// `.npy` bytes of little-endian int64 values (`<i8`, numpy's default integer: labels).
    public static func encode(shape: [Int], int64 values: [Int64]) -> [UInt8] {
        var out = header(descr: "<i8", shape: shape, count: values.count)
        out.reserveCapacity(out.count + 8 * values.count)
        for v in values { Bytes.append(UInt64(bitPattern: v), width: 8, bigEndian: false, to: &out) }
        return out
    }

    /// The magic, version and header numpy writes: the dict padded with spaces and a
    /// newline to a multiple of 64 bytes; version 2.0 only for a header past 65535 bytes.
    static func header(descr: String, shape: [Int], count: Int) -> [UInt8] {
        precondition(shape.allSatisfy { $0 >= 0 }, "NPY: negative size")
        precondition(shape.reduce(1, *) == count, "NPY: \(count) values for shape \(shapeText(shape))")
        let dict = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText(shape)), }".utf8)
        var prefix = 10
        var padded = dict.count + 1
        padded += (64 - (prefix + padded) % 64) % 64
        if padded > 0xFFFF {
            prefix = 12
            padded = dict.count + 1
            padded += (64 - (prefix + padded) % 64) % 64
        }
        var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, prefix == 10 ? 1 : 2, 0]
        Bytes.append(UInt64(padded), width: prefix - 8, bigEndian: false, to: &out)
        out += dict
        out += [UInt8](repeating: 0x20, count: padded - dict.count - 1)
        out.append(0x0A)
        return out
    }
}
