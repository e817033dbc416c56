/// A dense float32 tensor with an optional gradient and a link into the autodiff graph.
///
/// Storage is row-major (the last axis is contiguous); images are NCHW. The buffer is
/// owned by the tensor and freed with it. A tensor made by an op remembers its inputs
/// (`parents`) and a backward rule that, given `out.grad`, adds ∂L/∂input into each
/// parent's `grad`. Parameters are leaves with `requiresGrad == true`.
///
/// Do not share one tensor's storage between two tensors: ops always write new outputs.
public final class Tensor {
    /// Shape, outermost axis first.
    public let shape: [Int]
    /// Number of elements: the product of `shape`.
    public let count: Int
    /// The values, `count` floats.
    public let data: UnsafeMutablePointer<Float>
    /// ∂L/∂self, allocated (zero-filled) on first use during backward.
    public private(set) var gradStorage: UnsafeMutablePointer<Float>?
    /// Whether backward should compute a gradient for this tensor.
    public var requiresGrad: Bool
    /// The op's inputs, for the backward pass.
    let parents: [Tensor]
    /// Backward rule: reads `out.grad`, accumulates into the parents' grads.
    let backwardRule: ((Tensor) -> Void)?
    /// For a view: the tensor whose values and gradient this one shares.
    let viewBase: Tensor?

    /// A zero-filled tensor of the given shape.
    public init(zeros shape: [Int], requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.data = .allocate(capacity: max(count, 1))
        self.data.initialize(repeating: 0, count: max(count, 1))
        self.requiresGrad = requiresGrad
        self.parents = []
        self.backwardRule = nil
        self.viewBase = nil
    }

    /// A tensor whose storage is not initialised: for an op's saved intermediates, every
    /// element of which the op writes before it reads.
    init(uninitialized shape: [Int]) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.data = .allocate(capacity: max(count, 1))
        self.requiresGrad = false
        self.parents = []
        self.backwardRule = nil
        self.viewBase = nil
    }

    /// A tensor holding `values` (count must equal the product of `shape`).
    public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
        self.init(zeros: shape, requiresGrad: requiresGrad)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { data.update(from: base, count: count) }
        }
    }

    /// An op's output: uninitialised storage of `shape`, linked to `parents` by `backward`.
    /// The op writes the forward values into `data`; `backward(out)` reads `out.grad` and
    /// adds into each parent's `grad` (only for parents with `requiresGrad`).
    public init(opOutput shape: [Int], parents: [Tensor], backward: @escaping (Tensor) -> Void) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        // Not zero-filled: every op writes each element of its output.
        self.data = .allocate(capacity: max(count, 1))
        let needsGrad = GradMode.enabled && parents.contains { $0.requiresGrad }
        self.requiresGrad = needsGrad
        self.parents = needsGrad ? parents : []
        self.backwardRule = needsGrad ? backward : nil
        self.viewBase = nil
    }

    /// The same storage under another shape with the same element count. Values and gradient
    /// are shared with `base`, so the view needs no backward rule of its own.
    public init(viewOf base: Tensor, shape: [Int]) {
        let root = base.viewBase ?? base
        self.shape = shape
        self.count = shape.reduce(1, *)
        precondition(count == base.count, "view: \(base.shape) has \(base.count) elements, not \(shape)")
        self.data = root.data
        self.requiresGrad = GradMode.enabled && root.requiresGrad
        self.parents = requiresGrad ? [root] : []
        self.backwardRule = nil
        self.viewBase = root
    }

    deinit {
        if viewBase == nil { data.deallocate() }
        gradStorage?.deallocate()
    }

    /// The values as an array (a copy).
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The first element; for scalar results such as a loss. Read through the tensor (not
    /// through `data` of a temporary, which may be freed before the read).
    public var item: Float { data[0] }

    /// The gradient as an array (a copy), or nil before backward reached this tensor.
    public var gradScalars: [Float]? {
        if let viewBase { return viewBase.gradScalars }
        return gradStorage.map { Array(UnsafeBufferPointer(start: $0, count: count)) }
    }

    /// The gradient buffer, allocated zero-filled if needed.
    public var grad: UnsafeMutablePointer<Float> {
        if let viewBase { return viewBase.grad }
        if let g = gradStorage { return g }
        let g = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        fillZero(g, max(count, 1))
        gradStorage = g
        return g
    }

    /// Sets the gradient to zero (keeps the buffer).
    public func zeroGrad() {
        if let g = gradStorage { fillZero(g, count) }
    }

    /// Drops the gradient buffer.
    public func dropGrad() {
        gradStorage?.deallocate()
        gradStorage = nil
    }

    /// Element `i` in row-major order.
    public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// A copy of this tensor's values, detached from the graph.
    public func detached() -> Tensor {
        let t = Tensor(zeros: shape)
        t.data.update(from: data, count: count)
        return t
    }
}

/// Whether ops record the graph for backward. Off inside `withoutGrad`, for inference.
public enum GradMode {
    nonisolated(unsafe) public private(set) static var enabled = true

    /// Runs `body` with graph recording off (no backward rules, no saved buffers).
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        let saved = enabled
        enabled = false
        defer { enabled = saved }
        return try body()
    }
}

/// Sets `count` floats to zero, spread over the threads when the buffer is large.
func fillZero(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
    nonisolated(unsafe) let p = p
    parallelRanges(count, grain: 1 << 18) { lo, hi in (p + lo).update(repeating: 0, count: hi - lo) }
}
