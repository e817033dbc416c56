import PithIO
import XCTest

/// The one line a failing call gives, or nil when it succeeds.
func failure<T>(_ body: () throws -> T) -> String? {
    do { _ = try body(); return nil } catch { return "\(error)" }
}

/// Asserts that `body` fails with a line that contains `fragment`.
func assertFails<T>(_ fragment: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) {
    guard let message = failure(body) else { return XCTFail("no failure; expected '\(fragment)'", file: file, line: line) }
    XCTAssert(message.contains(fragment), "'\(message)' should contain '\(fragment)'", file: file, line: line)
    XCTAssertFalse(message.contains("\n"), "more than one line: \(message)", file: file, line: line)
}

func be32(_ v: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
func le16(_ v: Int) -> [UInt8] { [0, 8].map { UInt8(truncatingIfNeeded: v >> $0) } }
func le32(_ v: Int) -> [UInt8] { [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: v >> $0) } }

/// Bytes from hexadecimal text.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8).map { $0 <= 57 ? $0 - 48 : $0 - 87 }
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

/// A .npy file with this header dict (padded as numpy pads it) and data, version 1.0.
func npy(_ header: String, _ data: [UInt8], version: UInt8 = 1) -> [UInt8] {
    let prefix = version == 1 ? 10 : 12
    let padded = header + String(repeating: " ", count: (64 - (prefix + header.utf8.count + 1) % 64) % 64) + "\n"
    let length = padded.utf8.count
    return [0x93] + Array("NUMPY".utf8) + [version, 0] + (version == 1 ? le16(length) : le32(length)) + Array(padded.utf8) + data
}

/// Real numpy 2.4 output: np.savez(f, x=np.array([[1.5, -2, 3], [4, 5, 6.25]], dtype=np.float32),
/// y=np.array([1, 0])) — local headers with zip64 size placeholders, as numpy writes them.
let numpySavez = hexBytes("504b03042d0000000000000021005bfec51affffffffffffffff05001400782e6e70790100100098000000000000009800000000000000934e554d5059010076007b276465736372273a20273c6634272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c2033292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a0000c03f000000c000004040000080400000a0400000c840504b03042d00000000000000210071fb39abffffffffffffffff05001400792e6e70790100100090000000000000009000000000000000934e554d5059010076007b276465736372273a20273c6938272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028322c292c207d2020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a01000000000000000000000000000000504b01022d032d0000000000000021005bfec51a9800000098000000050000000000000000000000800100000000782e6e7079504b01022d032d00000000000000210071fb39ab90000000900000000500000000000000000000008001cf000000792e6e7079504b0506000000000200020066000000960100000000")

