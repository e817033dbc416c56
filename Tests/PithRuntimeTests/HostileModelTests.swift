@testable import PithFormat
@testable import PithRuntime
import XCTest

/// Files that are well formed and checksummed and still hostile: values nobody reads,
/// weights or activations past the runtime's limits. Each is refused with a typed error
/// before anything large is allocated, or planned so no two live buffers overlap.
final class HostileModelTests: XCTestCase {
    func floats(_ v: [Float]) -> [UInt8] { v.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } } }

    /// x (4) → Dense 4→4 → ReLU → y, plus `extra` more ReLUs of x whose outputs nobody reads.
    func modelWithUnreadValues(extra: Int) -> PithModel {
        var m = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let x = m.addValue("x", dtype: .float32, shape: [4])
        let w = m.addConstant("w", dtype: .float32, shape: [4, 4], bytes: floats((0 ..< 16).map { Float($0 % 5) - 2 }))
        let h = m.addValue("h", dtype: .float32, shape: [4])
        let y = m.addValue("y", dtype: .float32, shape: [4])
        var nodes = [Node(op: .dense, name: "fc", inputs: [x, w], outputs: [h])]
        for i in 0 ..< extra {
            let z = m.addValue("unread\(i)", dtype: .float32, shape: [4])
            nodes.append(Node(op: .softmax, name: "softmax\(i)", inputs: [h], outputs: [z]))
        }
        nodes.append(Node(op: .relu, name: "relu", inputs: [h], outputs: [y]))
        m.graph = Graph(inputs: [x], outputs: [y], nodes: nodes)
        return m
    }

    func testAValueNobodyReadsIsRefusedByTheWriterAndTheReader() throws {
        let good = try PithFile(bytes: try PithWriter.encode(modelWithUnreadValues(extra: 0)).bytes)
        XCTAssertEqual(try Interpreter(file: good).run([1, -2, 3, -4], batch: 1).count, 4)
        let bad = modelWithUnreadValues(extra: 2)
        XCTAssertThrowsError(try PithWriter.encode(bad)) { error in
            XCTAssertEqual(error as? FormatError, .badGraph(node: "softmax0", problem: "its output 'unread0' is read by no node and is not a graph output"))
        }
        // The same graph in a checksummed file made without the writer's checks.
        let crafted = try PithWriter.encode(bad, validate: false).bytes
        XCTAssertThrowsError(try PithFile(bytes: crafted)) { error in
            guard case .badGraph(node: "softmax0", _) = error as? FormatError else { return XCTFail("\(error)") }
        }
        // A graph input that no node reads.
        var unreadInput = modelWithUnreadValues(extra: 0)
        let second = unreadInput.addValue("x2", dtype: .float32, shape: [4])
        unreadInput.graph.inputs.append(second)
        XCTAssertThrowsError(try PithFile(bytes: try PithWriter.encode(unreadInput, validate: false).bytes)) { error in
            XCTAssertEqual(error as? FormatError, .badGraph(node: "graph", problem: "input 'x2' is read by no node"))
        }
    }

    /// Random lifetimes, unread values (lastUse −1) among them: no two buffers alive at
    /// the same step share a byte, and the check itself catches a plan that overlaps.
    func testThePlannerNeverOverlapsLiveBuffers() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        for _ in 0 ..< 300 {
            let count = 1 + next(24)
            let sizes = (0 ..< count).map { _ in next(4) == 0 ? 0 : 1 + next(5000) }
            let producedAt = (0 ..< count).map { $0 - 1 }
            let lastUse = producedAt.map { p in next(5) == 0 ? -1 : p + next(6) }
            let plan = ArenaPlanner.plan(sizes: sizes, producedAt: producedAt, lastUse: lastUse)
            XCTAssertFalse(ArenaPlanner.anyLiveBuffersOverlap(plan, sizes: sizes, producedAt: producedAt, lastUse: lastUse))
            XCTAssert(plan.total <= sizes.reduce(0) { $0 + ($1 + 63) / 64 * 64 })
        }
        // Two values alive together at one offset are caught.
        let overlapping = ArenaPlanner.Plan(offsets: [0, 0], total: 64)
        XCTAssertTrue(ArenaPlanner.anyLiveBuffersOverlap(overlapping, sizes: [64, 64], producedAt: [0, 1], lastUse: [1, 2]))
        XCTAssertFalse(ArenaPlanner.anyLiveBuffersOverlap(overlapping, sizes: [64, 64], producedAt: [0, 2], lastUse: [1, 3]))
    }

    /// A weight-only int8 Dense (2048 × 4096, 8 MiB of int8 codes, all zero: a small file)
    /// becomes 32 MiB of float weights and as much again packed: the load is refused at
    /// a limit below that before any of it is allocated, and passes at exactly its peak.
    func testPreparedWeightsStopAtTheirLimit() throws {
        let (n, k) = (2048, 4096)
        var m = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let x = m.addValue("x", dtype: .float32, shape: [k])
        let w = m.addConstant("w", dtype: .int8, shape: [n, k], bytes: [UInt8](repeating: 0, count: n * k),
                              quantization: .perChannel(axis: 0, scales: [Float](repeating: 0.01, count: n), zeroPoints: [Int32](repeating: 0, count: n)))
        let y = m.addValue("y", dtype: .float32, shape: [n])
        m.graph = Graph(inputs: [x], outputs: [y], nodes: [Node(op: .dense, name: "fc", inputs: [x, w], outputs: [y])])
        let bytes = try PithWriter.encode(m).bytes
        XCTAssertLessThan(bytes.count, 64 << 10, "zeros compress: the file is small")
        let file = try PithFile(bytes: bytes)
        let loaded = try Interpreter(file: file, limits: RuntimeLimits(maxWeightBytes: 1 << 30))
        let peak = loaded.store.peak
        XCTAssertGreaterThanOrEqual(peak, 2 * n * k * 4, "float weights and their packed copy at the peak")
        XCTAssertNoThrow(try Interpreter(file: file, limits: RuntimeLimits(maxWeightBytes: peak)))
        XCTAssertThrowsError(try Interpreter(file: file, limits: RuntimeLimits(maxWeightBytes: peak - 1))) { error in
            guard case .overLimit(what: "prepared weights", _, limit: peak - 1) = error as? RuntimeError else { return XCTFail("\(error)") }
        }
        // Threads share the one copy.
        XCTAssertEqual(try Interpreter(file: file, maxBatch: 8, threads: 4, limits: RuntimeLimits(maxWeightBytes: peak)).store.peak, peak)
    }

    /// Activations: every thread's arena (+ 64 bytes of slack) and scratch together.
    func testActivationsStopAtTheirLimit() throws {
        let file = try PithFile(bytes: try PithWriter.encode(modelWithUnreadValues(extra: 0)).bytes)
        for (batch, threads) in [(1, 1), (64, 1), (64, 4)] {
            let i = try Interpreter(file: file, maxBatch: batch, threads: threads)
            let (arena, scratch) = (i.arenaSize, i.scratchBytes)
            let need = (arena + 64 + scratch) * threads
            XCTAssertNoThrow(try Interpreter(file: file, maxBatch: batch, threads: threads, limits: RuntimeLimits(maxActivationBytes: need)))
            XCTAssertThrowsError(try Interpreter(file: file, maxBatch: batch, threads: threads, limits: RuntimeLimits(maxActivationBytes: need - 1))) { error in
                guard case .overLimit(what: "activations", _, _) = error as? RuntimeError else { return XCTFail("\(error)") }
            }
        }
    }

    /// More threads than half the batch: each thread's arena holds `chunk` samples, and
    /// no share of the batch may be larger (a 4-sample batch on 4 threads was split in two
    /// shares of 2 written into 1-sample arenas).
    func testABatchSplitNeverPassesAThreadsArena() throws {
        let file = try PithFile(bytes: try PithWriter.encode(modelWithUnreadValues(extra: 0)).bytes)
        let x: [Float] = (0 ..< 16).map { Float($0 % 7) - 3 }
        let alone = try (0 ..< 4).flatMap { s in try Interpreter(file: file).run(Array(x[(4 * s) ..< (4 * s + 4)]), batch: 1) }
        for (batch, threads) in [(4, 4), (3, 3), (5, 4), (8, 8), (4, 3)] {
            let input = Array((0 ..< batch).flatMap { x[(4 * ($0 % 4)) ..< (4 * ($0 % 4) + 4)] })
            let expected = (0 ..< batch).flatMap { alone[(4 * ($0 % 4)) ..< (4 * ($0 % 4) + 4)] }
            XCTAssertEqual(try Interpreter(file: file, maxBatch: batch, threads: threads).run(input, batch: batch), expected, "batch \(batch), \(threads) threads")
        }
    }

    /// Values the runtime cannot mean: float weights or biases that are NaN or infinite, an
    /// 8-bit graph input without a scale and zero point.
    func testNonFiniteWeightsAndUnscaledEightBitInputsAreRefused() throws {
        for bad in [Float.nan, .infinity] {
            var m = modelWithUnreadValues(extra: 0)
            m.data[1] = floats([1, 2, bad] + [Float](repeating: 0, count: 13))
            XCTAssertThrowsError(try Interpreter(file: try PithFile(bytes: try PithWriter.encode(m).bytes))) { error in
                XCTAssertEqual(error as? RuntimeError, .invalidGraph(node: "fc", problem: "weight 2 of 'w' is \(bad.isNaN ? "NaN" : "infinite")"))
            }
        }
        var m = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let x = m.addValue("x", dtype: .uint8, shape: [4]), q = m.addValue("q", dtype: .uint8, shape: [4])
        m.graph = Graph(inputs: [x], outputs: [q], nodes: [Node(op: .relu, name: "r", inputs: [x], outputs: [q])])
        XCTAssertThrowsError(try Interpreter(file: try PithFile(bytes: try PithWriter.encode(m).bytes))) { error in
            guard case .invalidGraph(node: "x", _) = error as? RuntimeError else { return XCTFail("\(error)") }
        }
    }
}
