/// NumPy-style broadcasting of two shapes: align on the right; each pair of dimensions
/// must be equal or one of them 1. Returns nil when the shapes do not broadcast.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        if da != db && da != 1 && db != 1 { return nil }
        out[i] = max(da, db)
    }
    return out
}

/// For each element of a tensor of shape `out`, the flat index of the element of a
/// tensor of shape `src` that broadcasts to it. src: rank ≤ out.count.
func broadcastIndices(from src: [Int], to out: [Int]) -> [Int] {
    let rank = out.count
    let padded = [Int](repeating: 1, count: rank - src.count) + src
    var strides = [Int](repeating: 0, count: rank)
    var s = 1
    for i in stride(from: rank - 1, through: 0, by: -1) {
        strides[i] = padded[i] == 1 ? 0 : s
        s *= padded[i]
    }
    let total = out.reduce(1, *)
    var result = [Int](repeating: 0, count: total)
    var index = [Int](repeating: 0, count: rank)
    var flat = 0
    for e in 0..<total {
        result[e] = flat
        var axis = rank - 1
        while axis >= 0 {
            index[axis] += 1
            flat += strides[axis]
            if index[axis] < out[axis] { break }
            flat -= strides[axis] * index[axis]
            index[axis] = 0
            axis -= 1
        }
    }
    return result
}

/// Shared body of the broadcasting binary ops. `f` gives the value, `da`/`db` the local
/// derivatives ∂f/∂a and ∂f/∂b at (a, b).
private func broadcastBinary(_ a: Tensor, _ b: Tensor, name: String,
                             f: @escaping (Float, Float) -> Float,
                             da: @escaping (Float, Float) -> Float,
                             db: @escaping (Float, Float) -> Float) -> Tensor {
    guard let shape = broadcastShape(a.shape, b.shape) else {
        preconditionFailure("\(name): shapes \(a.shape) and \(b.shape) do not broadcast")
    }
    let ia = a.shape == shape ? nil : broadcastIndices(from: a.shape, to: shape)
    let ib = b.shape == shape ? nil : broadcastIndices(from: b.shape, to: shape)
    let out = Tensor(opOutput: shape, parents: [a, b]) { out in
        let g = out.grad
        for e in 0..<out.count {
            let ja = ia?[e] ?? e, jb = ib?[e] ?? e
            let x = a.data[ja], y = b.data[jb]
            if a.requiresGrad { a.grad[ja] += g[e] * da(x, y) }
            if b.requiresGrad { b.grad[jb] += g[e] * db(x, y) }
        }
    }
    for e in 0..<out.count {
        out.data[e] = f(a.data[ia?[e] ?? e], b.data[ib?[e] ?? e])
    }
    return out
}

/// Element-wise a + b with broadcasting. Backward: ∂a = Σ_broadcast ∂c, ∂b likewise.
public func add(_ a: Tensor, _ b: Tensor) -> Tensor {
    if a.shape.count >= b.shape.count, a.shape.suffix(b.shape.count).elementsEqual(b.shape) { return addTrailing(a, b) }
    return broadcastBinary(a, b, name: "add", f: { $0 + $1 }, da: { _, _ in 1 }, db: { _, _ in 1 })
}

/// Element-wise a · b with broadcasting. Backward: ∂a = Σ_broadcast ∂c · b, ∂b = Σ ∂c · a.
public func mul(_ a: Tensor, _ b: Tensor) -> Tensor {
    broadcastBinary(a, b, name: "mul", f: { $0 * $1 }, da: { _, y in y }, db: { x, _ in x })
}

public func + (a: Tensor, b: Tensor) -> Tensor { add(a, b) }
public func * (a: Tensor, b: Tensor) -> Tensor { mul(a, b) }

/// a + b where b's shape is a trailing part of a's (the same shape, a bias, a position
/// table (T, D) added to (B, T, D)): a as (R, n) rows of b's n elements, c_r = a_r + b.
/// Backward: ∂a = ∂c, ∂b = Σ_r ∂c_r.
private func addTrailing(_ a: Tensor, _ b: Tensor) -> Tensor {
    let n = max(b.count, 1), rows = b.count == 0 ? 0 : a.count / n
    let out = Tensor(opOutput: a.shape, parents: [a, b]) { out in
        let g = out.grad
        if a.requiresGrad {
            let ga = a.grad
            for i in 0..<a.count { ga[i] += g[i] }
        }
        if b.requiresGrad { addColumnSums(g, rows: rows, columns: n, into: b.grad) }
    }
    let y = out.data, x = a.data, bias = b.data
    for r in 0..<rows {
        let yr = y + r * n, xr = x + r * n
        for j in 0..<n { yr[j] = xr[j] + bias[j] }
    }
    return out
}
