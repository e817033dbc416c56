import PithFormat

/// What loading makes once and every thread shares: the prepared steps (weights packed
/// once, in one `WeightStore`), the values with their places in the arena, and the sizes
/// of one thread's arena and scratch for batches of `chunk` samples.
final class PreparedGraph {
    let file: PithFile
    let store: WeightStore
    let steps: [Step]
    let values: [Value]
    let inputValue: Int
    let outputValue: Int
    /// The float input is read where the caller holds it: Quantize steps alone read it.
    let readsInputInPlace: Bool
    /// One thread's arena (values for `chunk` samples) and scratch, in bytes.
    let arenaBytes: Int
    let scratchBytes: Int
    let channelReorderings: Int

    init(file: PithFile, chunk: Int, limits: RuntimeLimits) throws(RuntimeError) {
        self.file = file
        guard file.graph.inputs.count == 1, file.graph.outputs.count == 1 else {
            throw .unsupported(node: "graph", problem: "\(file.graph.inputs.count) inputs and \(file.graph.outputs.count) outputs (one of each)")
        }
        let store = WeightStore(limit: limits.maxWeightBytes)
        self.store = store
        var prep = try GraphPreparation(file: file, store: store)
        var steps: [Step] = []
        for node in file.graph.nodes { steps.append(try prep.prepare(node)) }
        channelReorderings = prep.channelOrder.outputs.count
        var values = prep.values
        guard let input = prep.valueIndex[file.graph.inputs[0]], let output = prep.valueIndex[file.graph.outputs[0]] else {
            throw .invalidGraph(node: "graph", problem: "the graph's input and output must be values")
        }
        inputValue = input
        outputValue = output
        for v in [input, output] where values[v].dtype == .int32 {
            throw .unsupported(node: values[v].name, problem: "int32 graph inputs and outputs")
        }
        for v in [input, output] where values[v].dtype != .float32 && !values[v].quantized {
            throw .invalidGraph(node: values[v].name, problem: "an 8-bit graph input or output needs a per-tensor scale and zero point")
        }

        // Lifetimes: made at the step that writes it (the input: before the first),
        // needed until the last step that reads it (the output: after the last).
        var producedAt = [Int](repeating: -1, count: values.count)
        var lastUse = [Int](repeating: -1, count: values.count)
        for (i, s) in steps.enumerated() {
            producedAt[s.output] = i
            for v in s.inputs { lastUse[v] = max(lastUse[v], i) }
        }
        lastUse[output] = steps.count
        let inputReaders = steps.filter { $0.inputs.contains(input) }
        let inPlace = values[input].dtype == .float32 && !inputReaders.isEmpty
            && inputReaders.allSatisfy { if case .quantize = $0 { return true } else { return false } }
        readsInputInPlace = inPlace
        var sizes = [Int](repeating: 0, count: values.count)
        for v in values.indices where producedAt[v] >= 0 || (v == input && !inPlace) {
            let (bytes, overflow) = values[v].bytesPerSample.multipliedReportingOverflow(by: chunk)
            guard !overflow, bytes <= limits.maxActivationBytes else {
                throw .overLimit(what: "activations", bytes: overflow ? Int.max : bytes, limit: limits.maxActivationBytes)
            }
            sizes[v] = bytes
        }
        let plan = ArenaPlanner.plan(sizes: sizes, producedAt: producedAt, lastUse: lastUse)
        guard plan.total <= limits.maxActivationBytes else {
            throw .overLimit(what: "activations", bytes: plan.total, limit: limits.maxActivationBytes)
        }
        var scratch = 64
        for step in steps {
            let (b, overflow) = step.scratchBytes
            guard !overflow, b <= limits.maxActivationBytes else {
                throw .overLimit(what: "activations", bytes: overflow ? Int.max : b, limit: limits.maxActivationBytes)
            }
            scratch = max(scratch, b)
        }
        for v in values.indices { values[v].offset = plan.offsets[v] }
        self.values = values
        self.steps = steps
        arenaBytes = plan.total
        scratchBytes = scratch
    }
}
