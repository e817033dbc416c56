import CPithAPI
import Foundation
import PithC
import PithFormat
import PithNN
import PithQuant
import XCTest

/// The C API through its header's declarations (CPithAPI), as a C program calls it.
final class CAPITests: XCTestCase {
    /// A float32 .pith file of an 8x8 → 10 dense model: 64 values in, 10 out per sample.
    static let modelPath: String = {
        let folder = NSTemporaryDirectory() + "pith-c-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let d = try! ModelDescription(parsing: "name c\ninput 1 8 8\nflatten\ndense 10\n", source: "c")
        let exported = try! GraphExport.pithModel(Model(d, seed: 3), weights: .float32, metadata: Metadata())
        let path = folder + "/c.pith"
        try! AtomicFile.write(try! PithWriter.encode(exported).bytes, to: path)
        return path
    }()

    var lastError: String { String(cString: CPithAPI.pith_last_error()) }

    func open(maxBatch: Int32 = 2) throws -> OpaquePointer {
        try XCTUnwrap(CPithAPI.pith_open(Self.modelPath, maxBatch), lastError)
    }

    /// A buffer shorter than the batch needs is refused, naming it and the sizes, and
    /// nothing is written to the output.
    func testShortBuffersAreRefusedAndNothingIsWritten() throws {
        let m = try open()
        defer { CPithAPI.pith_close(m) }
        XCTAssertEqual(CPithAPI.pith_input_size(m), 64)
        XCTAssertEqual(CPithAPI.pith_output_size(m), 10)
        let x = [Float](repeating: 0.5, count: 128)
        var y = [Float](repeating: 42, count: 20)
        let cases: [(Int64, Int64, String)] = [
            (127, 20, "pith_run: input holds 127 floats; batch 2 needs 2 × 64 = 128"),
            (-1, 20, "pith_run: input holds -1 floats; batch 2 needs 2 × 64 = 128"),
            (128, 19, "pith_run: output has room for 19 floats; batch 2 needs 2 × 10 = 20"),
            (128, 0, "pith_run: output has room for 0 floats; batch 2 needs 2 × 10 = 20"),
        ]
        for (inCount, outCount, message) in cases {
            XCTAssertEqual(CPithAPI.pith_run(m, x, inCount, 2, &y, outCount), -1)
            XCTAssertEqual(lastError, message)
            XCTAssertEqual(y, [Float](repeating: 42, count: 20), "nothing written")
        }
        XCTAssertEqual(CPithAPI.pith_run(m, x, 128, 2, &y, 20), 0, lastError)
        XCTAssertEqual(lastError, "")
        XCTAssertFalse(y.contains(42))
        // One sample needs only 64 in and 10 out.
        var one = [Float](repeating: 42, count: 10)
        XCTAssertEqual(CPithAPI.pith_run(m, x, 64, 1, &one, 10), 0, lastError)
        XCTAssertEqual(one, Array(y[0..<10]))
    }

    /// Every entry point given a NULL model fails with a message (the sizes returned -1
    /// with none).
    func testNullArgumentsFailWithAMessage() throws {
        var dims = [Int64](repeating: 0, count: 4)
        var y = [Float](repeating: 0, count: 10)
        let x = [Float](repeating: 0, count: 64)
        XCTAssertEqual(CPithAPI.pith_input_size(nil), -1)
        XCTAssertEqual(lastError, "pith_input_size: model is NULL")
        XCTAssertEqual(CPithAPI.pith_output_size(nil), -1)
        XCTAssertEqual(lastError, "pith_output_size: model is NULL")
        XCTAssertEqual(CPithAPI.pith_input_shape(nil, &dims, 4), -1)
        XCTAssertEqual(lastError, "pith_input_shape: model is NULL")
        XCTAssertEqual(CPithAPI.pith_output_shape(nil, &dims, 4), -1)
        XCTAssertEqual(lastError, "pith_output_shape: model is NULL")
        XCTAssertEqual(CPithAPI.pith_run(nil, x, 64, 1, &y, 10), -1)
        XCTAssertEqual(lastError, "pith_run: model is NULL")
        XCTAssertNil(CPithAPI.pith_open(nil, 1))
        XCTAssertEqual(lastError, "pith_open: path is NULL")
        let m = try open()
        defer { CPithAPI.pith_close(m) }
        XCTAssertEqual(CPithAPI.pith_run(m, nil, 64, 1, &y, 10), -1)
        XCTAssertEqual(lastError, "pith_run: input is NULL")
        XCTAssertEqual(CPithAPI.pith_run(m, x, 64, 1, nil, 10), -1)
        XCTAssertEqual(lastError, "pith_run: output is NULL")
    }

    /// A success after a failure leaves "" in pith_last_error, whatever the entry point.
    func testTheErrorIsClearedBySuccess() throws {
        XCTAssertNil(CPithAPI.pith_open("/nonexistent/x.pith", 1))
        XCTAssertNotEqual(lastError, "")
        let m = try open()
        defer { CPithAPI.pith_close(m) }
        XCTAssertEqual(lastError, "")
        let x = [Float](repeating: 0.25, count: 64)
        var y = [Float](repeating: 0, count: 10)
        var dims = [Int64](repeating: 0, count: 4)
        let successes: [(String, () -> Void)] = [
            ("pith_input_size", { _ = CPithAPI.pith_input_size(m) }),
            ("pith_output_size", { _ = CPithAPI.pith_output_size(m) }),
            ("pith_input_shape", { XCTAssertEqual(CPithAPI.pith_input_shape(m, &dims, 4), 3) }),
            ("pith_output_shape", { XCTAssertEqual(CPithAPI.pith_output_shape(m, &dims, 4), 1) }),
            ("pith_run", { XCTAssertEqual(CPithAPI.pith_run(m, x, 64, 1, &y, 10), 0) }),
            ("pith_close(NULL)", { CPithAPI.pith_close(nil) }),
        ]
        for (name, call) in successes {
            XCTAssertEqual(CPithAPI.pith_run(m, x, 64, 5, &y, 10), -1)
            XCTAssertEqual(lastError, "pith_run: batch 5 is outside 1...2")
            call()
            XCTAssertEqual(lastError, "", "\(name) left the earlier failure in place")
        }
    }

    /// A message longer than the 1,023 bytes kept is cut before a character, never inside
    /// one, and ends in "…". The path is 16 ASCII bytes, then parts of "/" and 100 "é":
    /// byte 1,020 falls on the second byte of an "é", so 1,019 bytes are kept.
    func testALongMultiByteMessageIsCutOnACharacterBoundary() throws {
        let path = "/nonexistent-pit" + String(repeating: "/" + String(repeating: "é", count: 100), count: 6)
        XCTAssertNil(CPithAPI.pith_open(path, 1))
        let raw = CPithAPI.pith_last_error()!
        let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw)))
        XCTAssertNotNil(String(validating: bytes, as: UTF8.self), "the message must stay valid UTF-8")
        XCTAssertEqual(bytes.count, 1019 + 3)
        XCTAssertEqual(Array(bytes.suffix(3)), Array("…".utf8))
        XCTAssertEqual(Array(bytes.dropLast(3)), Array(path.utf8.prefix(1019)))
        // A message that fits is kept whole.
        let short = "/nonexistent-" + String(repeating: "é", count: 200)
        XCTAssertNil(CPithAPI.pith_open(short, 1))
        XCTAssert(lastError.hasPrefix(short + ": "), lastError)
        XCTAssertFalse(lastError.hasSuffix("…"))
    }

    /// Each thread has its own last error.
    func testTheErrorIsPerThread() {
        XCTAssertEqual(CPithAPI.pith_input_size(nil), -1)
        let done = expectation(description: "other thread")
        let other = Thread {
            XCTAssertEqual(String(cString: CPithAPI.pith_last_error()), "")
            XCTAssertNil(CPithAPI.pith_open(nil, 1))
            done.fulfill()
        }
        other.start()
        wait(for: [done], timeout: 10)
        XCTAssertEqual(lastError, "pith_input_size: model is NULL")
    }
}
