import PithTensor

/// The range [lo, hi] ∋ 0 of one activation point, and its uint8 encoding.
public struct ActivationRange: Codable, Equatable, Sendable {
    public var lo: Float
    public var hi: Float

    public init(lo: Float = 0, hi: Float = 0) {
        self.lo = lo
        self.hi = hi
    }

    /// Widens the range to hold every value of `t` (and 0).
    public mutating func add(_ t: Tensor) {
        let (l, h) = Self.extent(t)
        lo = min(lo, l)
        hi = max(hi, h)
    }

    /// min(0, min t) and max(0, max t).
    static func extent(_ t: Tensor) -> (Float, Float) {
        var l: Float = 0, h: Float = 0
        for i in 0..<t.count {
            let v = t.data[i]
            l = min(l, v)
            h = max(h, v)
        }
        return (l, h)
    }

    /// (scale, zero point) mapping [lo, hi] onto the codes 0...255:
    /// s = (hi − lo)/255, z = round(−lo/s) clamped to 0...255, so real 0 has an exact code.
    public var encoding: (scale: Float, zero: Int32) {
        let span = max(hi - lo, 1e-8)
        let scale = span / 255
        let zero = Int32(max(0, min(255, (-lo / scale).rounded())))
        return (scale, zero)
    }
}

/// Quantization-aware training: the ranges tracked at the points where a model's integer
/// graph will quantize (`QuantizationPoints`, the rule the integer export follows too).
///
/// The integer graph (PithQuant's export) quantizes the input, the weights of every Dense
/// and Conv2D layer (int8 per output channel) and each of their outputs — after the ReLU
/// that follows, which the runtime folds into the requantization. Point 0 is the input,
/// point k the output of the k-th weighted layer. In training each point's range follows
/// the batches' min and max by an exponential moving average, r ← r + m·(batch − r)
/// (PyTorch's `MovingAverageMinMaxObserver`, m = 0.01), the first batch setting it; the
/// forward pass then fake-quantizes there with the range's encoding. Evaluation uses the
/// ranges as they stand, so it computes what the exported integer model computes (up to
/// float summation order and the rounding of the fixed-point requantization).
public final class FakeQuantization {
    /// One range per point: the input, then each weighted layer's output.
    public var ranges: [ActivationRange]
    /// Batches each range has seen.
    public var observed: [Int]
    public let momentum: Float
    /// Layer index (in `Model.layers`) → the point quantized after that layer.
    let pointAfterLayer: [Int: Int]
    /// Layer index → the first of a Transformer block's points (`TransformerPoints`): its
    /// inner values are quantized inside the block's forward pass, its output after it.
    let blockPoints: [Int: Int]

    /// The points of `description`'s integer graph, with fresh ranges or `ranges` (one per
    /// point, as a checkpoint stores them). Throws when the model has no integer graph, or
    /// when `ranges` has another count.
    public init(_ description: ModelDescription, momentum: Float = 0.01, ranges: [ActivationRange]? = nil) throws(PithError) {
        let stages = try QuantizationPoints.quantizationAwareStages(description)
        let count = QuantizationPoints.count(stages)
        if let ranges, ranges.count != count {
            throw .mismatch("\(ranges.count) activation ranges; model '\(description.name)' has \(count) quantization points")
        }
        // A point follows the stage's last layer where `Model.layers` runs it: `conv, relu,
        // maxpool` runs as `conv, maxpool, relu`, so the point comes after the pool there —
        // quantizing is monotone, so it commutes with the max pool.
        var position = [Int](repeating: 0, count: description.layers.count)
        for (k, layer) in Model.runOrder(description.layers).enumerated() { position[layer] = k }
        var after: [Int: Int] = [:], blocks: [Int: Int] = [:]
        for stage in stages {
            guard let point = stage.point, let last = stage.outputPoint else { continue }
            after[position[stage.end]] = last
            if case .transformerBlock = stage.spec { blocks[position[stage.layer]] = point }
        }
        self.pointAfterLayer = after
        self.blockPoints = blocks
        self.momentum = momentum
        self.ranges = ranges ?? Array(repeating: ActivationRange(), count: count)
        self.observed = Array(repeating: ranges == nil ? 0 : 1, count: count)
    }

    /// Number of points: 1 + one per weighted layer, LayerNorm, mean and lookup, + twelve
    /// per Transformer block.
    public var points: Int { ranges.count }

    /// Fake-quantizes `x` at `point`, first moving the point's range towards x's when
    /// `observe` is set.
    func apply(_ x: Tensor, point: Int, observe: Bool) -> Tensor {
        if observe { self.observe(ActivationRange.extent(x), point: point) }
        guard observed[point] > 0 else { return x }
        let e = ranges[point].encoding
        return fakeQuantize(x, scale: e.scale, zeroPoint: e.zero)
    }

    /// Moves the range of `point` towards a batch's extent (the first batch sets it).
    func observe(_ extent: (Float, Float), point: Int) {
        let (l, h) = extent
        if observed[point] == 0 {
            ranges[point] = ActivationRange(lo: l, hi: h)
        } else {
            ranges[point].lo += momentum * (l - ranges[point].lo)
            ranges[point].hi += momentum * (h - ranges[point].hi)
        }
        observed[point] += 1
    }

    /// `apply` for the equal blocks of x's last axis, block b at point `points[b]` (a
    /// Transformer's q, k and v, one tensor).
    func apply(_ x: Tensor, blocks points: [Int], observe: Bool) -> Tensor {
        let width = x.shape.last ?? 0, m = width / points.count
        if observe {
            // Each block's extent (with 0), in one pass over x.
            var lo = [Float](repeating: 0, count: points.count), hi = lo
            for i in 0..<x.count {
                let b = (i % width) / m, v = x.data[i]
                lo[b] = min(lo[b], v)
                hi[b] = max(hi[b], v)
            }
            for (b, point) in points.enumerated() { self.observe((lo[b], hi[b]), point: point) }
        }
        guard points.allSatisfy({ observed[$0] > 0 }) else { return x }
        return fakeQuantizeBlocks(x, points.map { p in let e = ranges[p].encoding; return (e.scale, e.zero) })
    }
}

/// The quantization-aware part of a training recipe.
public struct QATConfig: Codable, Equatable, Sendable {
    /// Weight of the newest batch in each range's moving average.
    public var momentum: Float

    public init(momentum: Float = 0.01) { self.momentum = momentum }
}
