import PithIO
import XCTest

final class IDXTests: XCTestCase {
    func testRoundTripsBytesAndFloats() throws {
        let pixels: [UInt8] = Array(0..<24)
        let a = try IDX.decode(IDX.encode(shape: [2, 3, 4], uint8: pixels), file: "x.idx")
        XCTAssertEqual(a, NumericArray(shape: [2, 3, 4], values: .uint8(pixels)))
        let floats: [Float] = [0.5, -1.25, .greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0, 3]
        let encoded = IDX.encode(shape: [3, 2], float32: floats)
        XCTAssertEqual(Array(encoded.prefix(12)), [0, 0, 0x0D, 2] + be32(3) + be32(2))
        XCTAssertEqual(Array(encoded[12..<16]), [0x3F, 0, 0, 0], "big-endian 0.5")
        let b = try IDX.decode(encoded, file: "x.idx")
        XCTAssertEqual(b.shape, [3, 2])
        guard case let .float32(back) = b.values else { return XCTFail("\(b.typeName)") }
        XCTAssertEqual(back.map(\.bitPattern), floats.map(\.bitPattern), "lossless")
        XCTAssertTrue(IDX.looksLikeIDX(encoded))
    }

    func testEveryIntegerTypeAndFloat64() throws {
        let i8 = try IDX.decode([0, 0, 0x09, 1] + be32(3) + [0x80, 0x7F, 0xFF], file: "x")
        XCTAssertEqual(i8.values, .int64([-128, 127, -1]))
        let i16 = try IDX.decode([0, 0, 0x0B, 1] + be32(2) + [0x80, 0x00, 0x01, 0x02], file: "x")
        XCTAssertEqual(i16.values, .int64([-32768, 258]))
        let i32 = try IDX.decode([0, 0, 0x0C, 1] + be32(2) + [0xFF, 0xFF, 0xFF, 0xFE] + be32(70000), file: "x")
        XCTAssertEqual(i32.values, .int64([-2, 70000]))
        let f64 = try IDX.decode([0, 0, 0x0E, 1] + be32(1) + [0x3F, 0xF8, 0, 0, 0, 0, 0, 0], file: "x")
        XCTAssertEqual(f64.values, .float64([1.5]))
        XCTAssertEqual(f64.floats(), [1.5])
    }

    /// Every refusal: one line naming the file and the problem, before any allocation of
    /// the declared size.
    func testRefusals() {
        let cases: [([UInt8], String)] = [
            ([], "f.idx: truncated IDX header: 0 bytes, need at least 4"),
            ([0, 0, 8], "truncated IDX header: 3 bytes"),
            ([1, 2, 8, 1, 0, 0, 0, 0], "not an IDX file (magic bytes 1 2, expected 0 0)"),
            ([0, 0, 0x0A, 1] + be32(0), "IDX value type 0x0a is not read"),
            ([0, 0, 0x08, 0], "IDX rank 0 outside 1...8"),
            ([0, 0, 0x08, 9], "IDX rank 9 outside 1...8"),
            ([0, 0, 0x08, 2] + be32(1), "truncated IDX header: 8 bytes, need 12"),
            ([0, 0, 0x08, 4] + be32(1) + be32(0xFFFF_FFFF) + be32(0xFFFF_FFFF) + be32(0xFFFF_FFFF), "are too large: more than the 268435456-value limit"),
            ([0, 0, 0x0D, 2] + be32(0xFFFF_FFFF) + be32(4) + [1, 2, 3, 4], "IDX sizes 4294967295x4 are too large"),
            // No values, but one sample's size (2³² · 2³²) would overflow: refused too (it trapped pith-run).
            ([0, 0, 0x0C, 3] + be32(0) + be32(0xFFFF_FFFF) + be32(0xFFFF_FFFF), "IDX sizes 0x4294967295x4294967295 are too large"),
            ([0, 0, 0x08, 1] + be32(5) + [1, 2, 3], "truncated: the header declares 5 = 5 values (5 bytes) but only 3 bytes follow"),
            ([0, 0, 0x0D, 1] + be32(2) + [1, 2, 3, 4], "declares 2 = 2 values (8 bytes) but only 4 bytes follow"),
            ([0, 0, 0x08, 1] + be32(2) + [1, 2, 3], "1 unexpected bytes after the 2 declared values"),
        ]
        for (bytes, fragment) in cases {
            assertFails(fragment) { try IDX.decode(bytes, file: "f.idx") }
            XCTAssert(failure { try IDX.decode(bytes, file: "f.idx") }?.hasPrefix("f.idx: ") ?? false)
        }
        // A caller's own cap.
        assertFails("more than the 3-value limit") { try IDX.decode(IDX.encode(shape: [4], uint8: [1, 2, 3, 4]), file: "f", maxValues: 3) }
        XCTAssertFalse(IDX.looksLikeIDX([0, 0, 0x07, 1]))
        XCTAssertFalse(IDX.looksLikeIDX([0x93, 0x4E, 0x55, 0x4D]))
    }
}
