/// A cursor over untrusted bytes: every read checks that the bytes are there first and
/// throws `FormatError.truncated(field:)` naming the field when they are not. Integers
/// are little-endian whatever the host. Offsets are `Int` and never exceed the buffer's
/// count, so no arithmetic here can overflow.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    /// The section this reader is in, for error messages ("graph", "tensor table", ...).
    let section: String
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer, section: String) {
        self.bytes = bytes
        self.section = section
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ n: Int, _ field: String) throws(FormatError) -> Int {
        guard n >= 0, n <= remaining else { throw .truncated(field: "\(section).\(field)") }
        let at = offset
        offset += n
        return at
    }

    mutating func u8(_ field: String) throws(FormatError) -> UInt8 {
        let at = try take(1, field)
        return bytes[at]
    }

    mutating func u16(_ field: String) throws(FormatError) -> UInt16 {
        let at = try take(2, field)
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }

    mutating func u32(_ field: String) throws(FormatError) -> UInt32 {
        let at = try take(4, field)
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    mutating func u64(_ field: String) throws(FormatError) -> UInt64 {
        let at = try take(8, field)
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    mutating func i32(_ field: String) throws(FormatError) -> Int32 { Int32(bitPattern: try u32(field)) }
    mutating func i64(_ field: String) throws(FormatError) -> Int64 { Int64(bitPattern: try u64(field)) }
    mutating func f32(_ field: String) throws(FormatError) -> Float { Float(bitPattern: try u32(field)) }
    mutating func f64(_ field: String) throws(FormatError) -> Double { Double(bitPattern: try u64(field)) }

    /// A `u32` length, checked against `limit`, then that many bytes of valid UTF-8.
    mutating func string(_ field: String, limit: UInt32) throws(FormatError) -> String {
        let length = try u32("\(field).length")
        guard length <= limit else {
            throw .limitExceeded(field: "\(section).\(field).length", value: UInt64(length), limit: UInt64(limit))
        }
        let at = try take(Int(length), field)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[at ..< at + Int(length)])
        guard let text = String(validating: slice.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw .invalid(field: "\(section).\(field)", problem: "not valid UTF-8")
        }
        return text
    }

    /// A count, checked against `limit` and against the bytes left (each item needs at
    /// least `minItemSize` bytes), so a huge count cannot make the caller reserve memory.
    mutating func count(_ field: String, limit: UInt32, minItemSize: Int) throws(FormatError) -> Int {
        let n = try u32(field)
        guard n <= limit else {
            throw .limitExceeded(field: "\(section).\(field)", value: UInt64(n), limit: UInt64(limit))
        }
        guard Int(n).multipliedReportingOverflow(by: minItemSize).partialValue <= remaining else {
            throw .truncated(field: "\(section).\(field)")
        }
        return Int(n)
    }
}

/// `array.withUnsafeBytes` for a body with typed throws (the standard one rethrows
/// `any Error`, which Embedded Swift does not have).
func withBytes<R>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(FormatError) -> R) throws(FormatError) -> R {
    var result: R? = nil
    var failure: FormatError? = nil
    array.withUnsafeBytes { b in
        do throws(FormatError) { result = try body(b) } catch { failure = error }
    }
    if let failure { throw failure }
    return result!
}
