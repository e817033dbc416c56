/// The checks that span sections: tensor names, where constants' bytes lie, and the
/// graph's wiring. The reader runs them on every file and the writer on every model,
/// so a file the writer makes is one the reader accepts.
enum Validation {
    /// `sectionSizes[i]` is the decoded size of section `i` when it holds tensor data,
    /// nil for other kinds.
    static func check(tensors: [TensorInfo], graph: Graph, sections: [SectionEntry]) throws(FormatError) {
        for t in tensors {
            if let loc = t.location, loc.filter != .none, loc.section >= 0, loc.section < sections.count,
               sections[loc.section].encoding == .raw {
                throw .invalid(field: "tensor '\(t.name)'.filter", problem: "a filtered tensor cannot be in a raw section (raw data is used in place)")
            }
        }
        try checkTensors(tensors, sectionSizes: sections.map { $0.kind == .tensorData ? Int($0.size) : nil })
        try checkGraph(graph, tensors: tensors)
    }

    static func checkTensors(_ tensors: [TensorInfo], sectionSizes: [Int?]) throws(FormatError) {
        var names = Set<[UInt8]>()
        // Per data section: (offset, end, tensor) of each constant, to find overlaps.
        var ranges: [(section: Int, start: Int, end: Int, name: String)] = []
        for t in tensors {
            guard names.insert(Array(t.name.utf8)).inserted else {
                throw .invalid(field: "tensor '\(t.name)'.name", problem: "two tensors have this name")
            }
            switch (t.role, t.location) {
            case (.value, nil): continue
            case (.value, _?): throw .invalid(field: "tensor '\(t.name)'", problem: "a value tensor cannot have data")
            case (.constant, nil): throw .invalid(field: "tensor '\(t.name)'", problem: "a constant has no data location")
            case let (.constant, loc?):
                let field = "tensor '\(t.name)'.dataSection"
                guard loc.section >= 0, loc.section < sectionSizes.count, let size = sectionSizes[loc.section] else {
                    throw .invalid(field: field, problem: "section \(loc.section) is not a tensor-data section")
                }
                let (end, overflow) = loc.offset.addingReportingOverflow(loc.size)
                guard !overflow, end <= size else {
                    throw .invalid(field: "tensor '\(t.name)'.dataOffset", problem: "bytes \(loc.offset) + \(loc.size) run past the section's \(size) bytes")
                }
                ranges.append((loc.section, loc.offset, end, t.name))
            }
        }
        ranges.sort { ($0.section, $0.start) < ($1.section, $1.start) }
        for i in ranges.indices.dropFirst() {
            let a = ranges[i - 1], b = ranges[i]
            if a.section == b.section && b.start < a.end {
                throw .overlap(first: "tensor '\(a.name)'", second: "tensor '\(b.name)'")
            }
        }
    }

    static func checkGraph(_ graph: Graph, tensors: [TensorInfo]) throws(FormatError) {
        var available = [Bool](repeating: false, count: tensors.count)
        func tensor(_ index: Int, _ node: String, _ what: String) throws(FormatError) -> TensorInfo {
            guard index >= 0, index < tensors.count else {
                throw .badGraph(node: node, problem: "\(what) refers to tensor \(index) but the table has \(tensors.count)")
            }
            return tensors[index]
        }
        guard !graph.inputs.isEmpty else { throw .badGraph(node: "graph", problem: "no inputs") }
        guard !graph.outputs.isEmpty else { throw .badGraph(node: "graph", problem: "no outputs") }
        guard !graph.nodes.isEmpty else { throw .badGraph(node: "graph", problem: "no nodes") }
        for i in graph.inputs {
            let t = try tensor(i, "graph", "an input")
            guard t.role == .value else { throw .badGraph(node: "graph", problem: "input '\(t.name)' is a constant") }
            guard !available[i] else { throw .badGraph(node: "graph", problem: "input '\(t.name)' is listed twice") }
            available[i] = true
        }
        var nodeNames = Set<[UInt8]>()
        for node in graph.nodes {
            guard !node.name.isEmpty, nodeNames.insert(Array(node.name.utf8)).inserted else {
                throw .badGraph(node: node.name, problem: "node names must be unique and not empty")
            }
            guard node.op.inputArity.contains(node.inputs.count) else {
                throw .badGraph(node: node.name, problem: "\(node.op.name) takes \(node.op.inputArity.lowerBound)...\(node.op.inputArity.upperBound) inputs, not \(node.inputs.count)")
            }
            guard node.outputs.count == 1 else {
                throw .badGraph(node: node.name, problem: "\(node.op.name) has one output, not \(node.outputs.count)")
            }
            for i in node.inputs {
                let t = try tensor(i, node.name, "an input")
                guard t.role == .constant || available[i] else {
                    throw .badGraph(node: node.name, problem: "reads '\(t.name)' before any node makes it (out of order, a cycle, or never made)")
                }
            }
            for o in node.outputs {
                let t = try tensor(o, node.name, "an output")
                guard t.role == .value else { throw .badGraph(node: node.name, problem: "writes the constant '\(t.name)'") }
                guard !available[o] else { throw .badGraph(node: node.name, problem: "'\(t.name)' is made twice") }
                available[o] = true
            }
            try checkAttributes(node)
        }
        for o in graph.outputs {
            let t = try tensor(o, "graph", "an output")
            guard t.role == .value, available[o] else {
                throw .badGraph(node: "graph", problem: "output '\(t.name)' is not made by any node or input")
            }
        }
        try checkEveryValueIsRead(graph, tensors: tensors)
    }

    /// Every value is read: each node's output by a later node or as a graph output, each
    /// graph input by a node. A value nobody reads has no lifetime to plan and a graph
    /// that makes one computes something it never gives back (docs/FORMAT.md, "Section 2").
    static func checkEveryValueIsRead(_ graph: Graph, tensors: [TensorInfo]) throws(FormatError) {
        var read = [Bool](repeating: false, count: tensors.count)
        for node in graph.nodes { for i in node.inputs { read[i] = true } }
        for i in graph.inputs where !read[i] {
            throw .badGraph(node: "graph", problem: "input '\(tensors[i].name)' is read by no node")
        }
        for o in graph.outputs { read[o] = true }
        for node in graph.nodes {
            for o in node.outputs where !read[o] {
                throw .badGraph(node: node.name, problem: "its output '\(tensors[o].name)' is read by no node and is not a graph output")
            }
        }
    }

    static func checkAttributes(_ node: Node) throws(FormatError) {
        let rules = node.op.attributeRules
        var seen = Set<[UInt8]>()
        for a in node.attributes {
            guard seen.insert(Array(a.key.utf8)).inserted else { throw .badGraph(node: node.name, problem: "attribute '\(a.key)' appears twice") }
            guard let rule = rules.first(where: { $0.key.sameBytes(a.key) }) else {
                throw .badGraph(node: node.name, problem: "\(node.op.name) has no attribute '\(a.key)'")
            }
            guard rule.range.contains(a.value) else {
                throw .badGraph(node: node.name, problem: "attribute '\(a.key)' is \(a.value), outside \(rule.range.lowerBound)...\(rule.range.upperBound)")
            }
        }
        for rule in rules where rule.required && !seen.contains(Array(rule.key.utf8)) {
            throw .badGraph(node: node.name, problem: "\(node.op.name) needs attribute '\(rule.key)'")
        }
    }
}
