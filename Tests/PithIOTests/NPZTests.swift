import Foundation
import PithIO
import XCTest

final class NPZTests: XCTestCase {
    let x = NPY.encode(shape: [2, 2], float32: [1, 2, 3, 4])
    let y = NPY.encode(shape: [2], int64: [0, 1])

    func testStoredRoundTrip() throws {
        let members = try NPZ.decode(NPZ.encode([("x", x), ("y", y)]), file: "d.npz")
        XCTAssertEqual(members.map(\.name), ["x", "y"])
        XCTAssertEqual(members[0].array, NumericArray(shape: [2, 2], values: .float32([1, 2, 3, 4])))
        XCTAssertEqual(members[1].array.values, .int64([0, 1]))
        XCTAssertEqual(try NPZ.decode(NPZ.encode([]), file: "empty.npz"), [])
        XCTAssertTrue(NPZ.looksLikeZip(NPZ.encode([("x", x)])))
    }

    /// numpy's own np.savez output: zip64 placeholders in the local headers, real sizes in
    /// the central directory.
    func testNumpySavez() throws {
        let members = try NPZ.decode(numpySavez, file: "d.npz")
        XCTAssertEqual(members.map(\.name), ["x", "y"])
        XCTAssertEqual(members[0].array, NumericArray(shape: [2, 3], values: .float32([1.5, -2, 3, 4, 5, 6.25])))
        XCTAssertEqual(members[1].array, NumericArray(shape: [2], values: .int64([1, 0])))
    }

    /// np.savez_compressed: refused in one line without an inflater; with one, each
    /// deflated entry goes through it (its CRC checked on what it returns).
    func testDeflatedEntriesNeedAnInflater() throws {
        var archive = NPZ.encode([("x", x)])
        let central = 35 + x.count
        archive[8] = 8
        archive[central + 10] = 8
        assertFails("d.npz: entry 'x.npy' is deflated (np.savez_compressed); this reader takes stored entries (np.savez)") {
            try NPZ.decode(archive, file: "d.npz")
        }
        var asked: [String] = []
        let members = try NPZ.decode(archive, file: "d.npz") { entry, data throws(IOFailure) -> [UInt8] in
            asked.append(entry.name)
            XCTAssertEqual(entry.method, 8)
            return Array(data)
        }
        XCTAssertEqual(asked, ["x.npy"])
        XCTAssertEqual(members.first?.array.values, .float32([1, 2, 3, 4]))
        assertFails("entry 'x.npy' inflates to 3 bytes, the archive says \(x.count)") {
            try NPZ.decode(archive, file: "d.npz") { _, _ throws(IOFailure) -> [UInt8] in [1, 2, 3] }
        }
    }

    func testRefusals() {
        let good = NPZ.encode([("x", x)])
        let c = 35 + x.count, e = c + 51
        func patched(_ at: Int, _ bytes: [UInt8]) -> [UInt8] {
            var b = good
            b.replaceSubrange(at..<(at + bytes.count), with: bytes)
            return b
        }
        let cases: [([UInt8], String)] = [
            (Array(repeating: 7, count: 100), "d.npz: not a zip archive (.npz): no end of central directory record"),
            (Array(good.dropLast()), "no end of central directory record"),
            (patched(40, [x[5] ^ 1]), "entry 'x.npy' fails its CRC-32 check"),
            (patched(c + 8, [1]), "entry 'x.npy' is encrypted"),
            (patched(c + 10, [12]), "entry 'x.npy' uses compression method 12"),
            (patched(c + 50, [UInt8(ascii: "z")]), "entry 'x.npz' is not a .npy array"),
            (patched(32, [UInt8(ascii: "q")]), "entry 'x.npy': its local header does not match the central directory"),
            (patched(8, [8]), "entry 'x.npy': its local header gives another compression method"),
            (patched(c + 24, le32(x.count + 1)), "stored entry 'x.npy' has \(x.count) bytes but says it holds \(x.count + 1)"),
            (patched(c + 20, le32(1 << 20) + le32(1 << 20)), "entry 'x.npy': 1048576 bytes at offset 35 run past the central directory"),
            (patched(c + 20, le32(0xFFFF_FFFF)), "has zip64 sizes"),
            (patched(c + 42, le32(1000)), "entry 'x.npy': no local header at offset 1000"),
            (patched(e + 16, le32(c + 1)), "the central directory (51 bytes at \(c + 1)) runs past the end record"),
            (patched(e + 8, le16(0xFFFF) + le16(0xFFFF)), "a zip64 archive (over 4 GiB or 65535 entries) is not read"),
            (patched(e + 4, le16(1)), "a multi-disk zip archive is not read"),
            (patched(e + 8, le16(5000) + le16(5000)), "5000 entries, more than the 4096 allowed"),
            (patched(e + 8, le16(2) + le16(2)), "central directory entry 1 is missing or truncated"),
            (NPZ.encode([("x", x), ("x", x)]), "entry 'x.npy' appears twice"),
            (NPZ.encode([("x", Array(x.dropLast(4)))]), "d.npz/x.npy: shape (2, 2) of '<f4' needs 16 bytes of data but 12 follow the header"),
        ]
        for (bytes, fragment) in cases {
            assertFails(fragment) { try NPZ.decode(bytes, file: "d.npz") }
        }
    }
}

/// The toolchain fuzz target's NPY and NPZ seeds (tools/fuzz/make-seeds; the archive by
/// python3's zipfile) decode, so the fuzzer starts from inputs that reach the arrays.
final class FuzzSeedTests: XCTestCase {
    func testTheSeedsDecode() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/fuzz/corpus/toolchain")
        let npy = [UInt8](try Data(contentsOf: corpus.appendingPathComponent("npy")))
        XCTAssertEqual(npy.first, 8)
        XCTAssertEqual(try NPY.decode(Array(npy.dropFirst()), file: "npy"), NumericArray(shape: [2, 2], values: .float32([0.5, -1, 2, 16])))
        let npz = [UInt8](try Data(contentsOf: corpus.appendingPathComponent("npz")))
        XCTAssertEqual(npz.first, 14)
        let members = try NPZ.decode(Array(npz.dropFirst()), file: "npz")
        XCTAssertEqual(members.map(\.name), ["x", "y"])
        XCTAssertEqual(members[1].array.values, .int64([1, 0]))
    }
}
