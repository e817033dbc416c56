import PithIO
import XCTest

final class NPYTests: XCTestCase {
    func testRoundTrips() throws {
        let floats: [Float] = [1, -2.5, .infinity, .leastNormalMagnitude, 0, 7]
        let f = NPY.encode(shape: [2, 3], float32: floats)
        XCTAssertEqual(f.count % 64, 24, "the header is padded to 64 bytes")
        XCTAssertEqual(try NPY.decode(f, file: "x.npy"), NumericArray(shape: [2, 3], values: .float32(floats)))
        XCTAssertEqual(try NPY.decode(NPY.encode(shape: [4], uint8: [0, 1, 254, 255]), file: "x"), NumericArray(shape: [4], values: .uint8([0, 1, 254, 255])))
        let labels: [Int64] = [3, -1, .max, .min]
        XCTAssertEqual(try NPY.decode(NPY.encode(shape: [2, 2], int64: labels), file: "x").values, .int64(labels))
        XCTAssertEqual(try NPY.decode(NPY.encode(shape: [], float32: [5]), file: "x"), NumericArray(shape: [], values: .float32([5])))
        XCTAssertEqual(try NPY.decode(NPY.encode(shape: [0, 3], float32: []), file: "x").shape, [0, 3])
        XCTAssert(String(decoding: NPY.encode(shape: [7], uint8: Array(repeating: 0, count: 7)), as: UTF8.self).contains("'shape': (7,)"))
    }

    /// What numpy writes: version 3.0 (`np.lib.format.write_array(..., version=(3, 0))`) of
    /// a big-endian int32 array, its bytes exactly.
    func testVersionThreeAndBigEndianFromNumpy() throws {
        let bytes = hexBytes("934e554d50590300740000007b276465736372273a20273e6934272c2027666f727472616e5f6f72646572273a2046616c73652c20277368617065273a2028332c292c207d202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020202020200a000000010000000200000003")
        XCTAssertEqual(try NPY.decode(bytes, file: "x"), NumericArray(shape: [3], values: .int64([1, 2, 3])))
        let v2 = npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", [0x3F, 0xC0, 0, 0], version: 2)
        XCTAssertEqual(try NPY.decode(v2, file: "x").values, .float32([1.5]))
    }

    func testDtypes() throws {
        func decode(_ descr: String, _ shape: String, _ data: [UInt8]) throws -> NumericArray.Values {
            try NPY.decode(npy("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }", data), file: "x").values
        }
        XCTAssertEqual(try decode("<f8", "(1,)", [0, 0, 0, 0, 0, 0, 0xF8, 0x3F]), .float64([1.5]))
        XCTAssertEqual(try decode("|i1", "(2,)", [0xFF, 5]), .int64([-1, 5]))
        XCTAssertEqual(try decode("<i2", "(1,)", [0xFE, 0xFF]), .int64([-2]))
        XCTAssertEqual(try decode("<i4", "(1,)", [0, 0, 0, 0x80]), .int64([Int64(Int32.min)]))
        XCTAssertEqual(try decode("<u2", "(1,)", [0xFF, 0xFF]), .int64([65535]))
        XCTAssertEqual(try decode("<u4", "(1,)", [0xFF, 0xFF, 0xFF, 0xFF]), .int64([4_294_967_295]))
        XCTAssertEqual(try decode("<u8", "(1,)", [1, 0, 0, 0, 0, 0, 0, 0]), .int64([1]))
        XCTAssertEqual(try decode("|b1", "(2,)", [1, 0]), .uint8([1, 0]))
        // Strings: UTF-32, NUL-padded (np.array(['ab', 'c']) is '<U2').
        XCTAssertEqual(try decode("<U2", "(2,)", [0x61, 0, 0, 0, 0x62, 0, 0, 0, 0x63, 0, 0, 0, 0, 0, 0, 0]), .strings(["ab", "c"]))
        XCTAssertEqual(try decode("<U1", "(1,)", [0xE9, 0, 0, 0]), .strings(["é"]))
        // Python 2's long sizes, keys in another order, double quotes.
        let py2 = npy("{\"shape\": (1L, 2L), 'fortran_order': False, 'descr': '|u1'}", [7, 8])
        XCTAssertEqual(try NPY.decode(py2, file: "x"), NumericArray(shape: [1, 2], values: .uint8([7, 8])))
    }

    func testRefusals() {
        let ok = "'descr': '<f4', 'fortran_order': False"
        let cases: [([UInt8], String)] = [
            (Array("NUMPY".utf8), "x.npy: not a .npy file"),
            ([0x93] + Array("NUMPY".utf8) + [4, 0, 0, 0, 0, 0], ".npy version 4 is not read"),
            ([0x93] + Array("NUMPY".utf8) + [1, 0, 200, 0] + Array(repeating: 32, count: 10), ".npy header length 200 does not fit the file's 20 bytes"),
            ([0x93] + Array("NUMPY".utf8) + [2, 0] + le32(1 << 21) + [0], ".npy header length 2097152 is over the 1048576-byte limit"),
            (npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 4), }", Array(repeating: 0, count: 16)), "'fortran_order' is True: only C order is read"),
            (npy("{\(ok), 'shape': (99999, 4), }", Array(repeating: 0, count: 64)), "shape (99999, 4) of '<f4' needs 1599984 bytes of data but 64 follow the header"),
            (npy("{\(ok), 'shape': (2,), }", Array(repeating: 0, count: 12)), "needs 8 bytes of data but 12 follow"),
            (npy("{\(ok), 'shape': (4294967295, 4294967295, 4294967295), }", []), "is too large: more than the 268435456-value limit"),
            (npy("{\(ok), 'shape': (0, 4294967296, 4294967296), }", []), "shape (0, 4294967296, 4294967296) is too large"),
            (npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", Array(repeating: 0, count: 8)), "'descr' '<c8' is not read"),
            (npy("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", [0, 0]), "'descr' '<f2' is not read"),
            (npy("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0]), "'descr' '|f4' is not read"),
            (npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", [0]), "'descr' '|O' is not read"),
            (npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", [0, 0, 0, 0]), "a structured dtype is not read"),
            (npy("{\(ok), 'shape': (1,), 'extra': 1, }", [0, 0, 0, 0]), "unexpected key 'extra'"),
            (npy("{\(ok), }", []), "the header has no 'shape'"),
            (npy("{\(ok), 'descr': '<f4', 'shape': (1,)}", [0, 0, 0, 0]), "key 'descr' appears twice"),
            (npy("{\(ok), 'shape': (1, -2), }", []), "'shape' entry '' is not a size"),
            (npy("{\(ok), 'shape': [1], }", []), "'shape' is not a tuple"),
            (npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", [0, 0, 0, 0]), "'fortran_order' is '0', not True or False"),
            (npy("{\(ok), 'shape': (1,), } x", [0, 0, 0, 0]), "text after the header's closing '}'"),
            (npy("{\(ok), 'shape': (1,1,1,1,1,1,1,1,1), }", [0, 0, 0, 0]), "'shape' has more than 8 sizes"),
            (npy("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", Array(repeating: 0xFF, count: 8)), "uint64 value 0 is 18446744073709551615, past the int64 range"),
            (npy("{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }", [0, 0, 0x11, 0]), "string 0 holds 1114112, which is not a Unicode scalar"),
        ]
        for (bytes, fragment) in cases {
            assertFails(fragment) { try NPY.decode(bytes, file: "x.npy") }
        }
    }
}
