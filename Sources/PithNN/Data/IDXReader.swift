/// Reader for the IDX format of MNIST (plain or gzip-compressed).
///
/// Layout, big-endian: two zero bytes, a type byte (0x08 = unsigned byte), the number of
/// dimensions d, then d sizes as UInt32, then the values in row-major order. Only the
/// unsigned-byte type is accepted; the file must hold exactly the declared values.
public struct IDXFile: Equatable {
    public let dimensions: [Int]
    public let values: [UInt8]

    /// Parses IDX bytes; `path` names the file in errors.
    public init(bytes: [UInt8], path: String) throws(PithError) {
        guard bytes.count >= 4 else {
            throw .badFile(path: path, problem: "truncated IDX header: \(bytes.count) bytes, need at least 4")
        }
        guard bytes[0] == 0, bytes[1] == 0 else {
            throw .badFile(path: path, problem: "not an IDX file (magic bytes \(bytes[0]) \(bytes[1]), expected 0 0)")
        }
        guard bytes[2] == 0x08 else {
            throw .badFile(path: path, problem: "IDX value type 0x\(String(bytes[2], radix: 16)) is not supported (only 0x08, unsigned byte)")
        }
        let rank = Int(bytes[3])
        guard (1...4).contains(rank) else { throw .badFile(path: path, problem: "IDX rank \(rank) outside 1...4") }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw .badFile(path: path, problem: "truncated IDX header: \(bytes.count) bytes, need \(headerSize)")
        }
        var dims: [Int] = []
        var total = 1
        for d in 0..<rank {
            let o = 4 + 4 * d
            let size = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow, product <= 1 << 32 else { throw .badFile(path: path, problem: "IDX sizes \(dims + [size]) are too large") }
            dims.append(size)
            total = product
        }
        let present = bytes.count - headerSize
        guard present >= total else {
            throw .badFile(path: path, problem: "truncated: the header declares \(dims.map(String.init).joined(separator: "x")) = \(total) values but only \(present) follow")
        }
        guard present == total else {
            throw .badFile(path: path, problem: "\(present - total) unexpected bytes after the \(total) declared values")
        }
        dimensions = dims
        values = Array(bytes[headerSize...])
    }

    /// Reads and parses an IDX file, gunzipping it if needed.
    public init(path: String) throws(PithError) {
        try self.init(bytes: FileBytes.readMaybeGzip(path), path: path)
    }
}
