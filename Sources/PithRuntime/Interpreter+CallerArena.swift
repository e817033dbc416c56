import PithFormat

/// An interpreter in memory the caller owns (tflite-micro's `MicroInterpreter(…, arena,
/// size)`): on a microcontroller the activations live in a static buffer sized at build
/// time, and nothing is allocated for them at load or at run time.
///
/// The arena holds, from its first 64-byte boundary: the planned values for `maxBatch`
/// samples (`ArenaPlanner`), 64 bytes of slack that kernels may read past a value's end,
/// and the scratch of the largest step. The prepared weights are still the interpreter's
/// own (packed once at load).
extension Interpreter {
    /// Bytes of a caller-owned arena that holds `file`'s activations for batches of up to
    /// `maxBatch` samples at any address: `memoryBytes` and up to 63 bytes to reach a
    /// 64-byte boundary. It prepares the graph to measure it (a caller may compute it once,
    /// ahead of time, and size a static buffer with it).
    public static func requiredArenaBytes(for file: PithFile, maxBatch: Int = 1, limits: RuntimeLimits = .standard) throws(RuntimeError) -> Int {
        try checkLoad(maxBatch: maxBatch)
        let (bytes, overflow) = try memoryBytes(PreparedGraph(file: file, chunk: maxBatch, limits: limits), limits: limits).addingReportingOverflow(63)
        guard !overflow else { throw .overLimit(what: "activations", bytes: Int.max, limit: limits.maxActivationBytes) }
        return bytes
    }

    /// `requiredArenaBytes` in its two parts: the planned values (with their 64 bytes of
    /// slack and up to 63 of alignment) and the largest step's scratch.
    public static func arenaParts(for file: PithFile, maxBatch: Int = 1, limits: RuntimeLimits = .standard) throws(RuntimeError) -> (values: Int, scratch: Int) {
        try checkLoad(maxBatch: maxBatch)
        let graph = try PreparedGraph(file: file, chunk: maxBatch, limits: limits)
        return (graph.arenaBytes + 64 + 63, graph.scratchBytes)
    }

    /// Checks and prepares `file` for batches of up to `maxBatch` samples on the calling
    /// thread, its activations planned into `arena`: memory the caller allocates, keeps
    /// alive and leaves alone for the interpreter's life. An arena too small for the plan
    /// (`requiredArenaBytes` is always enough) is refused with `.arenaTooSmall`, naming
    /// the bytes it needs.
    public convenience init(file: PithFile, arena: UnsafeMutableRawBufferPointer, maxBatch: Int = 1, limits: RuntimeLimits = .standard) throws(RuntimeError) {
        try Self.checkLoad(maxBatch: maxBatch)
        let graph = try PreparedGraph(file: file, chunk: maxBatch, limits: limits)
        let memory = try Self.memoryBytes(graph, limits: limits)
        guard let base = arena.baseAddress else { throw .arenaTooSmall(bytes: 0, needed: memory) }
        let aligned = base.alignedUp(toMultipleOf: 64)
        let (needed, overflow) = memory.addingReportingOverflow(aligned - base)
        guard !overflow, needed <= arena.count else { throw .arenaTooSmall(bytes: arena.count, needed: overflow ? Int.max : needed) }
        self.init(graph: graph, maxBatch: maxBatch, workers: 1, chunk: maxBatch, limits: limits, memory: aligned)
    }

    /// The values' arena, its 64 bytes of slack and the scratch: one thread's memory.
    static func memoryBytes(_ graph: PreparedGraph, limits: RuntimeLimits) throws(RuntimeError) -> Int {
        let (withSlack, o1) = graph.arenaBytes.addingReportingOverflow(64)
        let (all, o2) = withSlack.addingReportingOverflow(graph.scratchBytes)
        guard !o1, !o2 else { throw .overLimit(what: "activations", bytes: Int.max, limit: limits.maxActivationBytes) }
        return all
    }

    /// What every interpreter needs before it prepares a graph: a batch size in range and a
    /// little-endian host.
    static func checkLoad(maxBatch: Int) throws(RuntimeError) {
        guard maxBatch >= 1, maxBatch <= 1 << 16 else { throw .badInput("maxBatch \(maxBatch) is outside 1...65536") }
        guard UInt16(1).littleEndian == 1 else { throw .unsupported(node: "file", problem: "a big-endian host") }
    }
}
