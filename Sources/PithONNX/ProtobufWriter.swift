/// A writer of the protobuf wire format for the ONNX messages Pith exports: varint,
/// 32-bit and length-delimited fields, nested messages written from the inside out.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wire: ProtobufReader.Wire) { varint(UInt64(field) << 3 | UInt64(wire.rawValue)) }

    mutating func int(_ field: Int, _ v: Int64) {
        key(field, .varint)
        varint(UInt64(bitPattern: v))
    }

    mutating func float(_ field: Int, _ v: Float) {
        key(field, .fixed32)
        for i in 0 ..< 4 { bytes.append(UInt8(truncatingIfNeeded: v.bitPattern >> UInt32(8 * i))) }
    }

    mutating func data(_ field: Int, _ b: [UInt8]) {
        key(field, .bytes)
        varint(UInt64(b.count))
        bytes += b
    }

    mutating func string(_ field: Int, _ s: String) { data(field, Array(s.utf8)) }

    /// A nested message, built by `body`.
    mutating func message(_ field: Int, _ body: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        body(&inner)
        data(field, inner.bytes)
    }

    /// Packed repeated int64s.
    mutating func packed(_ field: Int, _ values: [Int64]) {
        var inner = ProtobufWriter()
        for v in values { inner.varint(UInt64(bitPattern: v)) }
        data(field, inner.bytes)
    }
}
