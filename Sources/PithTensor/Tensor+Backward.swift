extension Tensor {
    /// Reverse-mode differentiation from this tensor.
    ///
    /// Seeds ∂L/∂self with `seed` (1 for a scalar loss; or all ones), orders the graph
    /// topologically, and runs each op's backward rule from the output towards the leaves.
    /// Gradients accumulate: call `zeroGrad()` on parameters between steps.
    public func backward(seed: Float = 1) {
        precondition(requiresGrad, "backward() on a tensor that does not require a gradient")
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        // Iterative DFS (post-order) so deep graphs do not overflow the stack.
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded { order.append(node); continue }
            if !visited.insert(ObjectIdentifier(node)).inserted { continue }
            stack.append((node, true))
            for p in node.parents where p.requiresGrad && !visited.contains(ObjectIdentifier(p)) {
                stack.append((p, false))
            }
        }
        let g = grad
        for i in 0..<count { g[i] += seed }
        for node in order.reversed() {
            node.backwardRule?(node)
        }
    }
}
