/// Memory the prepared steps own (packed weights, column sums, biases, multipliers),
/// freed with the last interpreter that uses it, and counted against a budget
/// (`RuntimeLimits.maxWeightBytes`) before anything is allocated: the budget covers the
/// bytes kept and, at their peak, the temporaries of unpacking them (`withTemporary`).
final class WeightStore {
    private var blocks: [UnsafeMutableRawPointer] = []
    /// The budget, in bytes.
    let limit: Int
    /// Bytes held now: kept blocks (each rounded up to 64) and live temporaries.
    private(set) var used = 0
    /// The most `used` has been.
    private(set) var peak = 0
    /// Blocks kept (each one allocation: what a heap's per-block overhead multiplies).
    var blockCount: Int { blocks.count }

    init(limit: Int) { self.limit = limit }

    /// Counts `bytes` (rounded up to 64) against the budget and returns what it counted, or
    /// throws without counting them.
    @discardableResult
    private func reserve(_ bytes: Int) throws(RuntimeError) -> Int {
        let rounded = bytes > Int.max - 63 ? Int.max : (max(bytes, 64) + 63) / 64 * 64
        let (total, overflow) = used.addingReportingOverflow(rounded)
        guard !overflow, total <= limit else {
            throw .overLimit(what: "prepared weights", bytes: overflow ? Int.max : total, limit: limit)
        }
        used = total
        peak = max(peak, used)
        return rounded
    }

    /// `bytes` (at least 64) of 64-byte-aligned memory, kept until the store goes.
    func allocate(_ bytes: Int) throws(RuntimeError) -> UnsafeMutableRawPointer {
        try reserve(bytes)
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
        blocks.append(p)
        return p
    }

    func floats(_ count: Int) throws(RuntimeError) -> UnsafeMutablePointer<Float> {
        try allocate(try bytes(count, 4)).bindMemory(to: Float.self, capacity: count)
    }

    func ints(_ count: Int) throws(RuntimeError) -> UnsafeMutablePointer<Int32> {
        try allocate(try bytes(count, 4)).bindMemory(to: Int32.self, capacity: count)
    }

    /// `count` zeroed elements of T for the length of `body`, counted against the budget
    /// while they live.
    func withTemporary<T: FixedWidthInteger, R>(_ count: Int, of _: T.Type,
                                                _ body: (UnsafeMutableBufferPointer<T>) throws(RuntimeError) -> R) throws(RuntimeError) -> R {
        let bytes = try bytes(count, MemoryLayout<T>.stride)
        let counted = try reserve(bytes)
        defer { used -= counted }
        let p = UnsafeMutableBufferPointer<T>.allocate(capacity: max(count, 1))
        p.initialize(repeating: 0)
        defer { p.deallocate() }
        return try body(UnsafeMutableBufferPointer(start: p.baseAddress, count: count))
    }

    /// The same for floats (zeroed).
    func withTemporaryFloats<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws(RuntimeError) -> R) throws(RuntimeError) -> R {
        try withTemporary(count, of: UInt32.self) { buffer throws(RuntimeError) in
            try body(UnsafeMutableRawPointer(buffer.baseAddress!).bindMemory(to: Float.self, capacity: max(count, 1)))
        }
    }

    /// count × size, or the budget's error when it overflows.
    func bytes(_ count: Int, _ size: Int) throws(RuntimeError) -> Int {
        let (b, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, count >= 0 else { throw .overLimit(what: "prepared weights", bytes: Int.max, limit: limit) }
        return b
    }

    deinit { for p in blocks { p.deallocate() } }
}
