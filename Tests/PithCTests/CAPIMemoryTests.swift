import CPithAPI
import Foundation
import PithFormat
import PithNN
import PithQuant
import XCTest

/// The C API's in-memory entry points: a model read in place, a caller's arena sized by
/// pith_arena_size, class labels and the version.
final class CAPIMemoryTests: XCTestCase {
    var lastError: String { String(cString: CPithAPI.pith_last_error()) }

    /// A float32 8x8 → 10 dense model naming its classes, as bytes.
    static let modelBytes: [UInt8] = {
        let d = try! ModelDescription(parsing: "name c\ninput 1 8 8\nflatten\ndense 10\n", source: "c")
        var metadata = Metadata()
        metadata["model.labels"] = .strings((0..<10).map { "class-\($0)" })
        let exported = try! GraphExport.pithModel(Model(d, seed: 3), weights: .float32, metadata: metadata)
        return try! PithWriter.encode(exported).bytes
    }()

    /// The same outputs from a model opened from a path, from memory, and from memory in a
    /// caller's arena at an odd address; an arena one byte short is refused, naming the size.
    func testInPlaceAndCallerArenaRunAsTheFileDoes() throws {
        let folder = NSTemporaryDirectory() + "pith-c-memory-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try AtomicFile.write(Self.modelBytes, to: folder + "/m.pith")
        let x = (0..<64).map { Float($0) / 64 }
        func outputs(_ m: OpaquePointer) -> [Float] {
            var y = [Float](repeating: 0, count: 10)
            XCTAssertEqual(CPithAPI.pith_run(m, x, 64, 1, &y, 10), 0, lastError)
            return y
        }
        let fromPath = try XCTUnwrap(CPithAPI.pith_open(folder + "/m.pith", 1), lastError)
        defer { CPithAPI.pith_close(fromPath) }
        let want = outputs(fromPath)
        // The model at an odd offset in a larger buffer: read in place at any alignment.
        var buffer = [UInt8](repeating: 0, count: Self.modelBytes.count + 3)
        buffer.replaceSubrange(3..<buffer.count, with: Self.modelBytes)
        try buffer.withUnsafeBytes { all in
            let bytes = all.baseAddress! + 3, size = Self.modelBytes.count
            let memory = try XCTUnwrap(CPithAPI.pith_open_memory(bytes, size, 1), lastError)
            XCTAssertEqual(outputs(memory), want)
            CPithAPI.pith_close(memory)
            let needed = CPithAPI.pith_arena_size(bytes, size, 1)
            XCTAssertGreaterThan(needed, 0, lastError)
            let arena = UnsafeMutableRawPointer.allocate(byteCount: Int(needed) + 1, alignment: 64)
            defer { arena.deallocate() }
            XCTAssertNil(CPithAPI.pith_open_memory_arena(bytes, size, 1, arena + 1, Int(needed) - 1))
            XCTAssertTrue(lastError.contains("\(needed)"), lastError)
            let inArena = try XCTUnwrap(CPithAPI.pith_open_memory_arena(bytes, size, 1, arena + 1, Int(needed)), lastError)
            XCTAssertEqual(outputs(inArena), want)
            XCTAssertEqual(CPithAPI.pith_class_count(inArena), 10)
            XCTAssertEqual(String(cString: try XCTUnwrap(CPithAPI.pith_class_label(inArena, 7))), "class-7")
            XCTAssertNil(CPithAPI.pith_class_label(inArena, 10))
            XCTAssertEqual(lastError, "pith_class_label: class 10 is outside 0..<10")
            XCTAssertEqual(CPithAPI.pith_input_scale(inArena), 1)
            CPithAPI.pith_close(inArena)
        }
    }

    /// Bad bytes get one line and NULL (or -1), never a crash; the version calls answer.
    func testBadBytesAreRefusedWithOneLine() {
        var truncated = Array(Self.modelBytes.prefix(Self.modelBytes.count / 2))
        truncated.withUnsafeMutableBytes { b in
            XCTAssertNil(CPithAPI.pith_open_memory(b.baseAddress, b.count, 1))
            XCTAssertTrue(lastError.hasPrefix("pith_open_memory: the model: "), lastError)
            XCTAssertFalse(lastError.contains("\n"))
            XCTAssertEqual(CPithAPI.pith_arena_size(b.baseAddress, b.count, 1), -1)
            XCTAssertNil(CPithAPI.pith_open_memory_arena(b.baseAddress, b.count, 1, nil, 0))
            XCTAssertEqual(lastError, "pith_open_memory_arena: arena is NULL")
        }
        XCTAssertNil(CPithAPI.pith_open_memory(nil, 10, 1))
        XCTAssertEqual(lastError, "pith_open_memory: bytes is NULL")
        XCTAssertEqual(String(cString: CPithAPI.pith_version()), PithVersion.string)
        XCTAssertEqual(CPithAPI.pith_format_version(), Int32(PithFormatVersion.current))
    }
}
