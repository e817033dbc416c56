import PithFormat
import XCTest

/// XXH64 against the reference implementation's values (computed with the `xxhash`
/// package from PyPI, which wraps the reference C code).
final class XXH64Tests: XCTestCase {
    func testKnownStrings() {
        XCTAssertEqual(XXH64.hash([UInt8]()), 0xEF46_DB37_51D8_E999)
        XCTAssertEqual(XXH64.hash(Array("a".utf8)), 0xD24E_C4F1_A98C_6E5B)
        XCTAssertEqual(XXH64.hash(Array("abc".utf8)), 0x44BC_2CF5_AD77_0999)
        XCTAssertEqual(XXH64.hash(Array("Nobody inspects the spammish repetition".utf8)), 0xFBCE_A83C_8A37_8BF1)
    }

    /// Every code path: tails of 1-7 bytes, a 4-byte lane, 8-byte lanes, 32-byte stripes, a seed.
    func testLengthsAcrossEveryPath() {
        let data = (0..<100).map { UInt8(($0 * 31 + 7) % 256) }
        let expected: [(Int, UInt64)] = [
            (3, 0x56E6_9576_32A4_87F9), (4, 0xC60D_15B1_E3FF_8F04), (7, 0xAFBE_FC3D_6C6F_9A8E),
            (8, 0x3DA5_C7AA_2696_83E0), (15, 0xAE2A_37EB_9357_CAA7), (31, 0x4A74_F3A1_A39A_D4A1),
            (32, 0x8D57_D6A4_671C_C43D), (33, 0x62C9_FD21_ED85_7664), (63, 0x5C32_0A0D_2707_057F),
            (64, 0x7BBA_BBC4_5729_D17E), (100, 0xEFA0_AD2D_3E70_C151),
        ]
        for (n, h) in expected { XCTAssertEqual(XXH64.hash(Array(data[0..<n])), h, "length \(n)") }
        XCTAssertEqual(XXH64.hash(data, seed: 12345), 0x4F2E_446A_B943_E539)
    }
}
