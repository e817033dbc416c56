/// What the writer checks before it encodes a model: every count, length, index and
/// dimension fits its field and the spec's limit (docs/FORMAT.md, "Limits"), so encoding
/// never traps on a model built in memory, whatever it holds. The cross-section rules
/// come after, in `Validation`.
enum Encodability {
    static func check(_ model: PithModel, limits: Limits) throws(FormatError) {
        func count(_ field: String, _ n: Int, _ limit: UInt32) throws(FormatError) {
            guard n <= Int(limit) else { throw .limitExceeded(field: field, value: UInt64(n), limit: UInt64(limit)) }
        }
        func string(_ field: String, _ s: String) throws(FormatError) {
            try count(field, s.utf8.count, limits.maxStringLength)
        }
        try count("metadata.count", model.metadata.entries.count, limits.maxMetadataEntries)
        for (key, value) in model.metadata.entries {
            try string("metadata key", key)
            switch value {
            case let .string(s): try string("metadata '\(key)'", s)
            case let .strings(list):
                try count("metadata '\(key)'.count", list.count, limits.maxListCount)
                for s in list { try string("metadata '\(key)'", s) }
            case .int, .double: break
            }
        }
        let tensors = model.tensors.count
        try count("tensor table.count", tensors, limits.maxTensors)
        for t in model.tensors {
            let field = "tensor '\(t.name)'"
            try string("\(field).name", t.name)
            try count("\(field).rank", t.shape.count, UInt32(limits.maxRank))
            var elements: UInt64 = 1
            for d in t.shape {
                guard d >= 1, d <= Int(limits.maxDimension) else {
                    throw .invalid(field: "\(field).shape", problem: "dimension \(d) is outside 1...\(limits.maxDimension)")
                }
                elements *= UInt64(d)  // ≤ 2³¹ · 2²⁴ before the check below: no overflow
                guard elements <= limits.maxElements else {
                    throw .limitExceeded(field: "\(field).elements", value: elements, limit: limits.maxElements)
                }
            }
            if case let .perChannel(axis, scales, zeroPoints) = t.quantization {
                guard axis >= 0, axis < t.shape.count, scales.count == t.shape[axis], zeroPoints.count == scales.count else {
                    throw .invalid(field: "\(field).quantization", problem: "per-channel on axis \(axis) of shape \(t.shape) with \(scales.count) scales and \(zeroPoints.count) zero points")
                }
            }
        }
        func index(_ node: String, _ what: String, _ i: Int) throws(FormatError) {
            guard i >= 0, i < tensors else { throw .badGraph(node: node, problem: "\(what) refers to tensor \(i) but the table has \(tensors)") }
        }
        let g = model.graph
        try count("graph.inputCount", g.inputs.count, limits.maxGraphIO)
        try count("graph.outputCount", g.outputs.count, limits.maxGraphIO)
        try count("graph.nodeCount", g.nodes.count, limits.maxNodes)
        for i in g.inputs { try index("graph", "an input", i) }
        for o in g.outputs { try index("graph", "an output", o) }
        for node in g.nodes {
            let field = "node '\(node.name)'"
            try string("\(field).name", node.name)
            try count("\(field).inputCount", node.inputs.count, UInt32(limits.maxNodeInputs))
            try count("\(field).outputCount", node.outputs.count, UInt32(limits.maxNodeOutputs))
            try count("\(field).attributeCount", node.attributes.count, UInt32(limits.maxAttributes))
            for i in node.inputs { try index(node.name, "an input", i) }
            for o in node.outputs { try index(node.name, "an output", o) }
            for a in node.attributes { try string("\(field).attribute key", a.key) }
        }
    }
}
