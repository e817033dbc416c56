/// The IDX format of MNIST (Y. LeCun's): two zero bytes, a type byte, the number of
/// dimensions d, d sizes as big-endian UInt32, then the values in row-major order,
/// big-endian. Types: 0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32,
/// 0x0D float32, 0x0E float64.
///
/// The reader checks the header before it allocates anything: the rank (1...`IOLimits.maxRank`),
/// the product of the sizes (overflow and `maxValues`), and that exactly the declared
/// values follow — a short file and one with bytes after the values are both refused.
/// gzip is the caller's to undo.
public enum IDX {
    /// Bytes per value for a type byte, or nil for a byte that is no IDX type.
    public static func valueSize(_ type: UInt8) -> Int? {
        switch type {
        case 0x08, 0x09: return 1
        case 0x0B: return 2
        case 0x0C, 0x0D: return 4
        case 0x0E: return 8
        default: return nil
        }
    }

    /// Whether `bytes` start like an IDX file: 0 0, a byte in 0x08...0x0E, a rank of 1 or more.
    /// (A wrong type or rank inside that range is then refused by `decode`, by name.)
    public static func looksLikeIDX(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0 && bytes[1] == 0 && (0x08...0x0E).contains(bytes[2]) && bytes[3] >= 1
    }

    /// The array in IDX `bytes`; `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String, maxValues: Int = IOLimits.maxValues) throws(IOFailure) -> NumericArray {
        func bad(_ problem: String) -> IOFailure { IOFailure(file, problem) }
        guard bytes.count >= 4 else { throw bad("truncated IDX header: \(bytes.count) bytes, need at least 4") }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw bad("not an IDX file (magic bytes \(bytes[0]) \(bytes[1]), expected 0 0)")
        }
        let type = bytes[2]
        guard let size = valueSize(type) else {
            throw bad("IDX value type \(Bytes.hex(type)) is not read (0x08 unsigned byte, 0x09 signed byte, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64)")
        }
        let rank = Int(bytes[3])
        guard rank >= 1, rank <= IOLimits.maxRank else { throw bad("IDX rank \(rank) outside 1...\(IOLimits.maxRank)") }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else { throw bad("truncated IDX header: \(bytes.count) bytes, need \(headerSize)") }
        var shape: [Int] = []
        for d in 0..<rank { shape.append(Bytes.be32(bytes, 4 + 4 * d)) }
        guard let count = NumericArray.product(shape, limit: maxValues) else {
            throw bad("IDX sizes \(NumericArray.text(shape)) are too large: more than the \(maxValues)-value limit")
        }
        let need = count * size, present = bytes.count - headerSize
        guard present >= need else {
            throw bad("truncated: the header declares \(NumericArray.text(shape)) = \(count) values (\(need) bytes) but only \(present) bytes follow")
        }
        guard present == need else { throw bad("\(present - need) unexpected bytes after the \(count) declared values") }
        let h = headerSize
        switch type {
        case 0x08:
            return NumericArray(shape: shape, values: .uint8(Array(bytes[h...])))
        case 0x0D:
            var v = [Float](repeating: 0, count: count)
            for i in 0..<count { v[i] = Float(bitPattern: UInt32(truncatingIfNeeded: Bytes.be32(bytes, h + 4 * i))) }
            return NumericArray(shape: shape, values: .float32(v))
        case 0x0E:
            var v = [Double](repeating: 0, count: count)
            for i in 0..<count { v[i] = Double(bitPattern: Bytes.load(bytes, h + 8 * i, width: 8, bigEndian: true)) }
            return NumericArray(shape: shape, values: .float64(v))
        default:
            // Signed integers: sign-extend from `size` bytes.
            let shift = UInt64(64 - 8 * size)
            var v = [Int64](repeating: 0, count: count)
            for i in 0..<count {
                v[i] = Int64(bitPattern: Bytes.load(bytes, h + size * i, width: size, bigEndian: true) << shift) >> Int64(shift)
            }
            return NumericArray(shape: shape, values: .int64(v))
        }
    }

    /// IDX bytes of unsigned bytes (type 0x08) of `shape` (1...255 sizes, each below 2³²).
    public static func encode(shape: [Int], uint8 values: [UInt8]) -> [UInt8] {
        header(shape: shape, type: 0x08, count: values.count) + values
    }

    /// IDX bytes of float32 values (type 0x0D, big-endian): lossless.
    public static func encode(shape: [Int], float32 values: [Float]) -> [UInt8] {
        var out = header(shape: shape, type: 0x0D, count: values.count)
        out.reserveCapacity(out.count + 4 * values.count)
        for v in values { Bytes.append(UInt64(v.bitPattern), width: 4, bigEndian: true, to: &out) }
        return out
    }

    static func header(shape: [Int], type: UInt8, count: Int) -> [UInt8] {
        precondition(!shape.isEmpty && shape.count <= 255, "IDX: 1...255 dimensions")
        precondition(shape.allSatisfy { $0 >= 0 && UInt64($0) <= UInt64(UInt32.max) }, "IDX: sizes must fit in UInt32")
        precondition(shape.reduce(1, *) == count, "IDX: \(count) values for shape \(NumericArray.text(shape))")
        var out: [UInt8] = [0, 0, type, UInt8(shape.count)]
        for d in shape { Bytes.append(UInt64(d), width: 4, bigEndian: true, to: &out) }
        return out
    }
}
