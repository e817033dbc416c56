/// The erf form of GELU, x/2·(1 + erf(x/√2)), as ONNX exporters before opset 20 spell it
/// out (Div by √2, Erf, Add 1, Mul by x and by ½, in either order): the importer follows the
/// chain node by node and emits one `gelu` layer where it closes.
extension ONNXImport {
    enum GELUPart { case scaled, erf, onePlus, halfOnePlus, xOnePlus }

    /// The one value of a scalar constant, if `v` is one.
    static func scalar(_ v: Value?) -> Float? {
        guard case let .constant(t)? = v, t.elements == 1, t.dataType == .float else { return nil }
        return t.floats[0]
    }

    /// The next part of a GELU chain this node makes, and its source; part nil: the chain is
    /// complete (the node's output is GELU of the source). nil when the node is no step.
    static func geluStep(_ node: ONNXNode, _ values: [String: Value]) -> (GELUPart?, String)? {
        guard node.inputs.count == (node.opType == "Erf" ? 1 : 2) else { return nil }
        let a = values[node.inputs[0]], b = node.inputs.count > 1 ? values[node.inputs[1]] : nil
        func near(_ v: Float?, _ x: Float) -> Bool { v.map { abs($0 - x) < 1e-3 * max(1, abs(x)) } ?? false }
        func activationName(_ i: Int) -> String? {
            if case .activation? = values[node.inputs[i]] { return node.inputs[i] }
            return nil
        }
        switch node.opType {
        case "Div":
            if let src = activationName(0), near(scalar(b), Float(2).squareRoot()) { return (.scaled, src) }
        case "Erf":
            if case let .gelu(.scaled, src)? = a { return (.erf, src) }
        case "Add":
            for (x, c) in [(a, b), (b, a)] { if case let .gelu(.erf, src)? = x, near(scalar(c), 1) { return (.onePlus, src) } }
        case "Mul":
            for (i, (x, c)) in [(a, b), (b, a)].enumerated() {
                if let src = activationName(i), near(scalar(c), 1 / Float(2).squareRoot()) { return (.scaled, src) }
                if case let .gelu(.onePlus, src)? = x, near(scalar(c), 0.5) { return (.halfOnePlus, src) }
                if case let .gelu(.xOnePlus, src)? = x, near(scalar(c), 0.5) { return (nil, src) }
                if case let .gelu(.onePlus, src)? = x, node.inputs[1 - i] == src { return (.xOnePlus, src) }
                if case let .gelu(.halfOnePlus, src)? = x, node.inputs[1 - i] == src { return (nil, src) }
            }
        default: break
        }
        return nil
    }
}
