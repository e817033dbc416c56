import Foundation
import PithFormat
import PithNN
import PithQuant
import PithRuntime
import PithTensor
import XCTest

/// The interpreter in a caller-owned arena (what a microcontroller gives it): the same
/// outputs, bit for bit, as in its own; an arena too small refused with the bytes needed.
final class CallerArenaTests: XCTestCase {
    static let models = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("models")

    func model(_ name: String, seed: UInt64) throws -> Model {
        let text = try String(contentsOf: Self.models.appendingPathComponent("\(name).model"), encoding: .utf8)
        return Model(try ModelDescription(parsing: text, source: name), seed: seed)
    }

    func randomInput(_ count: Int, seed: UInt64) -> [Float] {
        var rng = PithRandom(seed: seed, stream: 9)
        return (0..<count).map { _ in rng.nextFloat() }
    }

    func file(_ m: PithModel) throws -> PithFile { try PithFile(bytes: try PithWriter.encode(m).bytes) }

    /// A float CNN, a weight-only int8 MLP and an integer CNN (convolutions with padding
    /// use the scratch).
    func files() throws -> [(String, PithFile)] {
        let cnn = try model("cnn-student", seed: 5), mlp = try model("mlp-tiny", seed: 6)
        let d = cnn.description
        let calibration = Dataset(name: "random", features: randomInput(64 * d.inputFeatures, seed: 1), labels: [Int32](repeating: 0, count: 64),
                                  sampleShape: d.inputShape, classes: d.classes)
        return [
            ("cnn float32", try file(try GraphExport.pithModel(cnn, weights: .float32, metadata: Metadata()))),
            ("mlp int8 weights", try file(try GraphExport.pithModel(mlp, weights: .int8, metadata: Metadata()))),
            ("cnn integer", try file(try PostTrainingQuantizer.quantize(cnn, calibration: calibration, metadata: Metadata()))),
        ]
    }

    func testOutputsAreTheOwnedArenasBitForBit() throws {
        for (name, file) in try files() {
            let owned = try Interpreter(file: file, maxBatch: 3)
            let needed = try Interpreter.requiredArenaBytes(for: file, maxBatch: 3)
            XCTAssertGreaterThan(needed, owned.arenaSize, name)
            // The arena starts one byte past a 64-byte boundary, so that 63 bytes go to
            // alignment: `needed` is then exactly enough. Filled with garbage first.
            let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: needed + 1, alignment: 64)
            defer { memory.deallocate() }
            memory.initializeMemory(as: UInt8.self, repeating: 0xA5)
            let interpreter = try Interpreter(file: file, arena: UnsafeMutableRawBufferPointer(rebasing: memory[1...]), maxBatch: 3)
            XCTAssertEqual(interpreter.threads, 1)
            XCTAssertEqual(interpreter.arenaSize, owned.arenaSize)
            let x = randomInput(3 * owned.inputElements, seed: 8)
            for batch in [1, 3, 2] {
                let xs = Array(x[0..<(batch * owned.inputElements)])
                XCTAssertEqual(try interpreter.run(xs, batch: batch).map(\.bitPattern), try owned.run(xs, batch: batch).map(\.bitPattern), "\(name) batch \(batch)")
            }
            // Nothing before the 64-byte boundary was written.
            XCTAssert(memory[0..<64].allSatisfy { $0 == 0xA5 }, name)
            XCTAssertThrowsError(try interpreter.run(x + x, batch: 6)) { XCTAssertEqual($0 as? RuntimeError, .badInput("batch 6 is outside 1...3 (the interpreter's maxBatch)")) }
        }
    }

    func testAnArenaTooSmallIsRefusedWithTheBytesNeeded() throws {
        let file = try files()[2].1
        let needed = try Interpreter.requiredArenaBytes(for: file)
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: needed, alignment: 64)
        defer { memory.deallocate() }
        // At a 64-byte boundary the plan takes exactly `needed − 63` bytes.
        let exact = needed - 63
        XCTAssertNoThrow(try Interpreter(file: file, arena: UnsafeMutableRawBufferPointer(rebasing: memory[0..<exact])))
        XCTAssertThrowsError(try Interpreter(file: file, arena: UnsafeMutableRawBufferPointer(rebasing: memory[0..<(exact - 1)]))) { error in
            XCTAssertEqual(error as? RuntimeError, .arenaTooSmall(bytes: exact - 1, needed: exact))
            XCTAssertEqual((error as? RuntimeError)?.description,
                           "the caller's arena holds \(exact - 1) bytes; the model needs \(exact) (Interpreter.requiredArenaBytes gives a size that fits at any address)")
        }
        // One byte past the boundary, 63 go to alignment.
        XCTAssertThrowsError(try Interpreter(file: file, arena: UnsafeMutableRawBufferPointer(rebasing: memory[1..<exact]))) { error in
            XCTAssertEqual(error as? RuntimeError, .arenaTooSmall(bytes: exact - 1, needed: exact + 63))
        }
        XCTAssertThrowsError(try Interpreter(file: file, arena: UnsafeMutableRawBufferPointer(start: nil, count: 0))) { error in
            XCTAssertEqual(error as? RuntimeError, .arenaTooSmall(bytes: 0, needed: exact))
        }
        XCTAssertThrowsError(try Interpreter.requiredArenaBytes(for: file, maxBatch: 0)) { error in
            XCTAssertEqual(error as? RuntimeError, .badInput("maxBatch 0 is outside 1...65536"))
        }
    }
}
