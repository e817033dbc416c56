import CPithRuntimeKernels
import PithFormat

/// Runs a `.pith` model. Loading checks the file (PithFormat), prepares every node
/// (weights packed once), and plans all values into one arena sized for `maxBatch`
/// samples; `run` then allocates nothing.
///
/// Values are laid out batch-major: a value's buffer holds `maxBatch` samples of
/// `bytesPerSample` each. Dense layers run as one GEMM over the batch; convolutions run
/// per sample (im2row patches, GEMM, transpose back to NCHW).
public final class Interpreter {
    public let file: PithFile
    /// The largest batch `run` takes.
    public let maxBatch: Int
    /// Threads a batch is spread over (each with its own arena and scratch; the packed
    /// weights are shared); batches no larger than `chunk` run on the calling thread alone.
    public let threads: Int
    let chunk: Int
    let helpers: [Interpreter]
    /// Worker threads kept for the interpreter's life (nil with one thread).
    let pool: OpaquePointer?
    /// The steps, values, plan and weights every thread shares.
    let graph: PreparedGraph
    var steps: [Step] { graph.steps }
    var values: [Value] { graph.values }
    var inputValue: Int { graph.inputValue }
    var outputValue: Int { graph.outputValue }
    var store: WeightStore { graph.store }
    /// Bytes the prepared weights took at their peak while the graph was prepared (packed
    /// weights, column sums, biases, multipliers and unpacking temporaries; each block
    /// rounded up to 64): what loading the model allocates beyond the file and the arena.
    public var preparedWeightBytes: Int { store.peak }
    /// How many allocations the prepared weights are (each costs a heap its bookkeeping and
    /// up to 63 bytes of alignment).
    public var preparedWeightBlocks: Int { store.blockCount }
    var arenaBytes: Int { graph.arenaBytes }
    /// The float input is read where the caller holds it (not copied into the arena) and
    /// checked for NaN and infinity as it is quantized: true when Quantize steps alone
    /// read it (every int8 model).
    var readsInputInPlace: Bool { graph.readsInputInPlace }
    let arena: UnsafeMutableRawPointer
    /// The caller's input during a run (readsInputInPlace), else nil.
    var callerInput: UnsafeMutableRawPointer? = nil
    let scratch: UnsafeMutableRawPointer
    /// Whether `arena` and `scratch` were allocated here (false: they lie in the caller's
    /// arena, `init(file:arena:…)`).
    let ownsMemory: Bool
    /// Bytes of `scratch` (the largest step's im2row patches and copies for one sample).
    var scratchBytes: Int { graph.scratchBytes }

    /// Per-sample shape, dtype and byte count of the (first) graph input and output.
    public var inputShape: [Int] { values[inputValue].shape }
    public var outputShape: [Int] { values[outputValue].shape }
    public var inputType: DType { values[inputValue].dtype }
    public var outputType: DType { values[outputValue].dtype }
    /// Values per sample in and out (stored: read on every run).
    public let inputElements: Int
    public let outputElements: Int
    /// Bytes per sample of the input and the output, each value's offset in the arena, and
    /// whether the input is float32: what every run reads, kept here rather than read out
    /// of `values` (whose elements a 32-bit build copies whole to read one field).
    let inputBytes: Int, outputBytes: Int
    let layouts: [ValueLayout]
    let floatInput: Bool
    /// The output is held channels-last (H, W, C) with C > 1 and goes back to (C, H, W).
    let outputChannelsLast: Bool
    /// Bytes of the activation arena (all values for `maxBatch` samples).
    public var arenaSize: Int { arenaBytes }
    /// Multiply-adds of one sample through the Dense, Conv2D, LSTM and attention steps.
    public var multiplyAdds: Int {
        var total = 0
        for step in steps {
            switch step {
            case let .floatLinear(l):
                let (n, k) = (Int(l.packed.N), Int(l.packed.K))
                total = total &+ (l.conv.map { $0.pixels } ?? l.tokens) &* n &* k
            case let .quantizedLinear(l):
                let (n, k) = (Int(l.packed.N), l.conv.map { $0.patch } ?? Int(l.packed.K))
                total = total &+ (l.conv.map { $0.pixels } ?? l.tokens) &* n &* k
            case let .quantizedAttention(a):
                // Q Kᵀ and P V: 2·T²·D.
                let (t, d) = (Int(a.parameters.T), Int(a.parameters.D))
                total = total &+ 2 &* t &* t &* d
            case let .quantizedLSTM(l):
                let p = l.parameters
                total = total &+ Int(p.steps) &* 4 &* Int(p.hidden) &* (Int(p.features) + Int(p.hidden))
            default: break
            }
        }
        return total
    }

    /// Convolution pairs whose channels between them were reordered for zero skipping
    /// (ChannelOrder; none with PITH_CHANNEL_ORDER=0). Results are the same either way.
    public var channelReorderings: Int { graph.channelReorderings }

    /// What this interpreter was allowed to take (RuntimeLimits).
    public let limits: RuntimeLimits

    #if canImport(CPosix)  // files need POSIX; a bare-metal build runs models from bytes in memory
    public convenience init(path: String, maxBatch: Int = 1, threads: Int = 1, limits: RuntimeLimits = .standard) throws(RuntimeError) {
        let file: PithFile
        do { file = try PithFile(path: path) } catch { throw .format(error) }
        try self.init(file: file, maxBatch: maxBatch, threads: threads, limits: limits)
    }
    #endif

    /// Checks and prepares `file` for batches of up to `maxBatch` samples spread over
    /// `threads` threads. Every size is checked against `limits` before it is allocated.
    public convenience init(file: PithFile, maxBatch: Int = 1, threads: Int = 1, limits: RuntimeLimits = .standard) throws(RuntimeError) {
        try Self.checkLoad(maxBatch: maxBatch)
        guard threads >= 1, threads <= 64 else { throw .badInput("threads \(threads) is outside 1...64") }
        let workers = min(threads, maxBatch)
        let chunk = (maxBatch + workers - 1) / workers
        let graph = try PreparedGraph(file: file, chunk: chunk, limits: limits)
        // Each thread: its arena (+ 64 bytes of slack) and its scratch.
        let (all, overflow) = try Self.memoryBytes(graph, limits: limits).multipliedReportingOverflow(by: workers)
        guard !overflow, all <= limits.maxActivationBytes else {
            throw .overLimit(what: "activations", bytes: overflow ? Int.max : all, limit: limits.maxActivationBytes)
        }
        self.init(graph: graph, maxBatch: maxBatch, workers: workers, chunk: chunk, limits: limits)
    }

    /// An interpreter over a prepared graph: its own arena, scratch and helpers, the
    /// graph's weights shared. With `memory` (64-byte aligned, `memoryBytes(graph)` bytes
    /// that the caller owns; one worker), the arena and the scratch lie in it.
    init(graph: PreparedGraph, maxBatch: Int, workers: Int, chunk: Int, limits: RuntimeLimits, memory: UnsafeMutableRawPointer? = nil) {
        file = graph.file
        self.maxBatch = maxBatch
        self.threads = workers
        self.chunk = chunk
        self.limits = limits
        helpers = (1 ..< max(workers, 1)).map { _ in Interpreter(graph: graph, maxBatch: chunk, workers: 1, chunk: chunk, limits: limits) }
        self.graph = graph
        inputElements = graph.values[graph.inputValue].elements
        outputElements = graph.values[graph.outputValue].elements
        inputBytes = graph.values[graph.inputValue].bytesPerSample
        outputBytes = graph.values[graph.outputValue].bytesPerSample
        layouts = graph.values.map { ValueLayout($0) }
        floatInput = graph.values[graph.inputValue].dtype == .float32
        let out = graph.values[graph.outputValue]
        outputChannelsLast = out.channelsLast && out.shape.count == 3 && out.shape[0] > 1
        // 64 bytes of slack: kernels may read a few bytes past a value's end (im2row's
        // 4-byte moves), never using them.
        if let memory {
            arena = memory
            scratch = memory + graph.arenaBytes + 64
        } else {
            arena = UnsafeMutableRawPointer.allocate(byteCount: graph.arenaBytes + 64, alignment: 64)
            scratch = UnsafeMutableRawPointer.allocate(byteCount: graph.scratchBytes, alignment: 64)
        }
        ownsMemory = memory == nil
        pool = workers > 1 ? pith_pool_create(Int32(workers)) : nil
    }

    deinit {
        pith_pool_destroy(pool)
        if ownsMemory {
            arena.deallocate()
            scratch.deallocate()
        }
    }

    func buffer(_ v: Int) -> UnsafeMutableRawPointer {
        if v == inputValue, let callerInput { return callerInput }
        return arena + layouts[v].offset
    }

    /// Runs `batch` samples. `input`: batch × inputElements values of the input's dtype
    /// (little-endian); `output`: room for batch × outputElements of the output's dtype.
    public func run(input: UnsafeRawPointer, output: UnsafeMutableRawPointer, batch: Int) throws(RuntimeError) {
        guard batch >= 1, batch <= maxBatch else { throw .badInput("batch \(batch) is outside 1...\(maxBatch) (the interpreter's maxBatch)") }
        if floatInput && !readsInputInPlace {
            let i = pith_first_nonfinite(input.assumingMemoryBound(to: Float.self), inputElements * batch)
            if i >= 0 { throw nonfiniteInput(input, at: i) }
        }
        if batch <= chunk || helpers.isEmpty {
            try runChunk(input: input, output: output, batch: batch, firstSample: 0)
            return
        }
        // Split the batch evenly, at least two samples a part and at most `chunk` (what each
        // thread's arena holds); part 0 runs here, the others on their own threads.
        let parts = min(threads, max((batch + 1) / 2, (batch + chunk - 1) / chunk))
        let job = ParallelJob(workers: [self] + helpers, input: input, output: output, batch: batch, parts: parts,
                              inBytes: values[inputValue].bytesPerSample, outBytes: values[outputValue].bytesPerSample)
        let context = Unmanaged.passUnretained(job).toOpaque()
        pith_pool_run(pool, Int32(parts), { context, index in
            Unmanaged<ParallelJob>.fromOpaque(context!).takeUnretainedValue().run(Int(index))
        }, context)
        for i in 0 ..< parts { if let e = job.errors[i] { throw e } }
    }

    /// The error for a NaN or infinity at float `i` of an input whose first sample is
    /// sample `firstSample` of the caller's batch.
    func nonfiniteInput(_ input: UnsafeRawPointer, at i: Int, firstSample: Int = 0) -> RuntimeError {
        let x = input.assumingMemoryBound(to: Float.self)[i]
        let index = firstSample * inputElements + i
        return .badInput("value \(index) (sample \(index / inputElements)) is \(x.isNaN ? "NaN" : "infinite")")
    }

    /// Makes `input` the graph input for a run: read in place, or copied into the arena.
    func bindInput(_ input: UnsafeRawPointer, batch: Int) {
        if readsInputInPlace {
            callerInput = UnsafeMutableRawPointer(mutating: input)
        } else {
            buffer(inputValue).copyMemory(from: input, byteCount: inputBytes * batch)
        }
    }

    /// One thread's share of a batch (at most `chunk` samples), samples
    /// firstSample..<firstSample + batch of the caller's.
    func runChunk(input: UnsafeRawPointer, output: UnsafeMutableRawPointer, batch: Int, firstSample: Int) throws(RuntimeError) {
        guard batch >= 1, batch <= chunk else { throw .badInput("a share of \(batch) samples is outside 1...\(chunk) (one thread's arena)") }
        bindInput(input, batch: batch)
        defer { callerInput = nil }
        for step in steps {
            let nonfinite = execute(step, batch: batch)
            if nonfinite >= 0 && step.inputs[0] == inputValue { throw nonfiniteInput(input, at: nonfinite, firstSample: firstSample) }
        }
        if outputChannelsLast {
            let out = values[outputValue]
            toChannelsFirst(buffer(outputValue), output, dtype: out.dtype, channels: out.shape[0], pixels: out.shape[1] * out.shape[2], batch: batch)
        } else {
            output.copyMemory(from: buffer(outputValue), byteCount: outputBytes * batch)
        }
    }

    /// Time per step: runs `batch` samples `runs` times on this thread (batch ≤ the
    /// per-thread chunk) and gives each graph node's smallest time in the clock's units
    /// (the runtime has no clock of its own: the caller passes one, e.g. nanoseconds).
    public func profile(input: UnsafeRawPointer, batch: Int, runs: Int, clock: () -> Int64) throws(RuntimeError) -> [(node: String, op: String, time: Int64)] {
        guard batch >= 1, batch <= chunk else { throw .badInput("batch \(batch) is outside 1...\(chunk) (one thread's share)") }
        if values[inputValue].dtype == .float32 {
            let i = pith_first_nonfinite(input.assumingMemoryBound(to: Float.self), inputElements * batch)
            if i >= 0 { throw nonfiniteInput(input, at: i) }
        }
        var best = [Int64](repeating: .max, count: steps.count)
        bindInput(input, batch: batch)
        defer { callerInput = nil }
        for _ in 0 ..< max(runs, 1) {
            for (i, step) in steps.enumerated() {
                let start = clock()
                _ = execute(step, batch: batch)
                best[i] = min(best[i], clock() - start)
            }
        }
        return steps.indices.map { (file.graph.nodes[$0].name, file.graph.nodes[$0].op.name, best[$0]) }
    }

    /// Convenience for float models: `input` holds batch × inputElements floats.
    public func run(_ input: [Float], batch: Int) throws(RuntimeError) -> [Float] {
        guard inputType == .float32, outputType == .float32 else { throw .badInput("this model's input or output is not float32") }
        guard input.count == inputElements * batch else {
            throw .badInput("\(input.count) values for \(batch) samples of \(inputElements) (shape \(inputShape))")
        }
        var out = [Float](repeating: 0, count: outputElements * batch)
        var failure: RuntimeError? = nil
        input.withUnsafeBytes { i in
            out.withUnsafeMutableBytes { o in
                do throws(RuntimeError) { try run(input: i.baseAddress!, output: o.baseAddress!, batch: batch) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Runs one step; a Quantize step returns the index of the first NaN or infinity it
    /// met (every other step, and a clean Quantize, −1).
    func execute(_ step: Step, batch: Int) -> Int {
        switch step {
        case let .floatLinear(s): floatLinear(s, batch: batch)
        case let .quantizedLinear(s): quantizedLinear(s, batch: batch)
        case .quantizedLSTM, .quantizedLayerNorm, .quantizedAttention, .quantizedAdd, .quantizedMeanTokens, .lookup:
            sequenceStep(step, batch: batch)
        case let .pool(s): pool(s, batch: batch)
        case let .relu(i, o):
            let n = layouts[i].elements * batch
            if layouts[i].dtype == .float32 {
                pith_relu_f32(buffer(i).assumingMemoryBound(to: Float.self), n, buffer(o).assumingMemoryBound(to: Float.self))
            } else {
                pith_relu_u8(buffer(i).assumingMemoryBound(to: UInt8.self), n, UInt8(layouts[i].zeroPoint), buffer(o).assumingMemoryBound(to: UInt8.self))
            }
        case let .copy(i, o):
            if i != o { buffer(o).copyMemory(from: buffer(i), byteCount: layouts[i].bytesPerSample * batch) }
        case let .toChannelsFirst(i, o, channels, pixels):
            toChannelsFirst(buffer(i), buffer(o), dtype: layouts[i].dtype, channels: channels, pixels: pixels, batch: batch)
        case let .quantize(i, o):
            let x = buffer(i).assumingMemoryBound(to: Float.self)
            let v = layouts[o]
            if v.dtype == .uint8 { return pith_quantize_u8(x, v.elements * batch, v.scale, v.zeroPoint, buffer(o).assumingMemoryBound(to: UInt8.self)) }
            return pith_quantize_s8(x, v.elements * batch, v.scale, v.zeroPoint, buffer(o).assumingMemoryBound(to: Int8.self))
        case let .dequantize(i, o):
            let v = layouts[i]
            let y = buffer(o).assumingMemoryBound(to: Float.self)
            let n = v.elements * batch
            switch v.dtype {
            case .uint8: pith_dequantize_u8(buffer(i).assumingMemoryBound(to: UInt8.self), n, v.scale, v.zeroPoint, y)
            case .int8: pith_dequantize_s8(buffer(i).assumingMemoryBound(to: Int8.self), n, v.scale, v.zeroPoint, y)
            default: pith_dequantize_s32(buffer(i).assumingMemoryBound(to: Int32.self), n, v.scale, v.zeroPoint, y)
            }
        case let .softmax(i, o):
            let n = layouts[i].lastDimension
            if i != o { buffer(o).copyMemory(from: buffer(i), byteCount: layouts[i].bytesPerSample * batch) }
            let y = buffer(o).assumingMemoryBound(to: Float.self)
            for r in 0 ..< layouts[i].elements * batch / n { pith_softmax_f32(y + r * n, Int32(n)) }
        case let .addFloat(a, b, o):
            pith_add_f32(buffer(a).assumingMemoryBound(to: Float.self), buffer(b).assumingMemoryBound(to: Float.self),
                         layouts[a].elements * batch, buffer(o).assumingMemoryBound(to: Float.self))
        }
        return -1
    }

    /// (H·W, C) → (C, H·W) for each sample.
    func toChannelsFirst(_ x: UnsafeMutableRawPointer, _ y: UnsafeMutableRawPointer, dtype: DType, channels: Int, pixels: Int, batch: Int) {
        let n = channels * pixels
        for b in 0 ..< batch {
            if dtype == .float32 {
                pith_transpose_f32(x.assumingMemoryBound(to: Float.self) + b * n, Int32(pixels), Int32(channels),
                                   y.assumingMemoryBound(to: Float.self) + b * n)
            } else {
                pith_transpose_u8(x.assumingMemoryBound(to: UInt8.self) + b * n, Int32(pixels), Int32(channels),
                                  y.assumingMemoryBound(to: UInt8.self) + b * n)
            }
        }
    }
}
