/// The byte filters of `DataFilter`, applied by the writer and undone by the reader.
enum Filters {
    /// bytes: `rows` rows of equal length, in place: b[i] ← b[i] − b[i−1] within each row.
    static func apply(_ filter: DataFilter, _ bytes: UnsafeMutableRawBufferPointer, rows: Int) {
        guard filter == .rowDelta, rows > 0, !bytes.isEmpty else { return }
        let length = bytes.count / rows
        for r in 0 ..< rows {
            let start = r * length
            var i = start + length - 1
            while i > start {
                bytes[i] = bytes[i] &- bytes[i - 1]
                i -= 1
            }
        }
    }

    /// The inverse: b[i] ← d[i] + b[i−1] within each row, left to right.
    static func undo(_ filter: DataFilter, _ bytes: UnsafeMutableRawBufferPointer, rows: Int) {
        guard filter == .rowDelta, rows > 0, !bytes.isEmpty else { return }
        let length = bytes.count / rows
        for r in 0 ..< rows {
            let start = r * length
            for i in start + 1 ..< start + length where length > 1 { bytes[i] = bytes[i] &+ bytes[i - 1] }
        }
    }

    #if canImport(CPosix)
    /// The filter that lowers the bytes' order-0 entropy by at least 1%, or `.none`.
    static func choose(_ bytes: [UInt8], dtype: DType, rows: Int) -> DataFilter {
        guard dtype.size == 1, rows > 0, bytes.count / rows > 1 else { return .none }
        var delta = bytes
        delta.withUnsafeMutableBytes { apply(.rowDelta, $0, rows: rows) }
        let plain = bytes.withUnsafeBytes { ByteEntropy.bitsPerByte($0) }
        let filtered = delta.withUnsafeBytes { ByteEntropy.bitsPerByte($0) }
        return filtered <= plain * 0.99 ? .rowDelta : .none
    }
    #endif
}

#if canImport(CPosix)
import CPosix

/// The order-0 entropy of a byte histogram: the fewest bits per byte any coder that
/// looks at bytes one at a time (Huffman, arithmetic, ANS) can reach on average.
public enum ByteEntropy {
    /// H = −Σ p(b) log₂ p(b) over the 256 byte values, in bits per byte.
    public static func bitsPerByte(_ bytes: UnsafeRawBufferPointer) -> Double {
        guard !bytes.isEmpty else { return 0 }
        var counts = [Int](repeating: 0, count: 256)
        for b in bytes { counts[Int(b)] += 1 }
        let n = Double(bytes.count)
        var h = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / n
            h -= p * log2(p)
        }
        return h
    }

    /// The order-0 bound in bytes: count · H / 8.
    public static func boundBytes(_ bytes: UnsafeRawBufferPointer) -> Double {
        Double(bytes.count) * bitsPerByte(bytes) / 8
    }
}
#endif
