/// A reader of the protobuf wire format (https://protobuf.dev/programming-guides/encoding/)
/// for the few ONNX messages the importer needs: varints, 32- and 64-bit fields and
/// length-delimited fields, each checked against the bytes left before it is used, so that
/// no count or length in a hostile file can read past the end or allocate more than the file
/// holds. Pith decodes ONNX with this rather than swift-protobuf's generated code: the
/// generated code decodes every field of every message the schema has (and allocates what
/// the bytes ask for) before a caller can check a size, while the importer needs about
/// twenty fields and wants a limit on each count as it reads it; the reader is 100 lines,
/// fuzzed with the importer (tools/fuzz, target onnx-reader).
struct ProtobufReader {
    /// The wire types.
    enum Wire: Int { case varint = 0, fixed64 = 1, bytes = 2, fixed32 = 5 }

    let bytes: ArraySlice<UInt8>
    private(set) var offset: Int
    /// The field of the file these bytes are, for error messages.
    let context: String

    init(_ bytes: ArraySlice<UInt8>, context: String) {
        self.bytes = bytes
        self.context = context
        offset = bytes.startIndex
    }

    /// A reader of a nested message's bytes, in the same context.
    func nested(_ bytes: ArraySlice<UInt8>) -> ProtobufReader { ProtobufReader(bytes, context: context) }

    var atEnd: Bool { offset >= bytes.endIndex }

    mutating func varint() throws(ONNXError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 70, by: 7) {
            guard offset < bytes.endIndex else { throw ONNXError(context, "a varint runs past the end") }
            let b = bytes[offset]
            offset += 1
            guard shift < 64 else { throw ONNXError(context, "a varint is longer than 10 bytes") }
            value |= UInt64(b & 0x7F) << UInt64(shift)
            if b < 0x80 { return value }
        }
        throw ONNXError(context, "a varint is longer than 10 bytes")
    }

    /// The next field's number and wire type, or nil at the end.
    mutating func field() throws(ONNXError) -> (number: Int, wire: Wire)? {
        guard !atEnd else { return nil }
        let key = try varint()
        guard let wire = Wire(rawValue: Int(key & 7)) else { throw ONNXError(context, "wire type \(key & 7) is not one protobuf has (or a group)") }
        guard key >> 3 >= 1, key >> 3 <= 536_870_911 else { throw ONNXError(context, "field number \(key >> 3) is outside 1...2^29 − 1") }
        return (Int(key >> 3), wire)
    }

    /// A length-delimited field's bytes.
    mutating func lengthDelimited() throws(ONNXError) -> ArraySlice<UInt8> {
        let n = try varint()
        guard n <= UInt64(bytes.endIndex - offset) else { throw ONNXError(context, "a field of \(n) bytes runs past the end (\(bytes.endIndex - offset) left)") }
        let start = offset
        offset += Int(n)
        return bytes[start ..< offset]
    }

    /// `n` little-endian bytes as an integer (a fixed32 or fixed64 field).
    mutating func fixed(_ n: Int) throws(ONNXError) -> UInt64 {
        guard bytes.endIndex - offset >= n else { throw ONNXError(context, "a \(8 * n)-bit field runs past the end") }
        var v: UInt64 = 0
        for i in 0 ..< n { v |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
        offset += n
        return v
    }

    mutating func fixed32() throws(ONNXError) -> UInt32 { UInt32(try fixed(4)) }
    mutating func fixed64() throws(ONNXError) -> UInt64 { try fixed(8) }

    /// Skips a field of wire type `wire`.
    mutating func skip(_ wire: Wire) throws(ONNXError) {
        switch wire {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .bytes: _ = try lengthDelimited()
        case .fixed32: _ = try fixed32()
        }
    }

    /// A string field (UTF-8, at most `limit` bytes).
    mutating func string(limit: Int = 4096) throws(ONNXError) -> String {
        let b = try lengthDelimited()
        guard b.count <= limit else { throw ONNXError(context, "a string of \(b.count) bytes (at most \(limit))") }
        return String(decoding: b, as: UTF8.self)
    }

    /// A signed 64-bit varint field (int64: two's complement).
    mutating func int64() throws(ONNXError) -> Int64 { Int64(bitPattern: try varint()) }
}
