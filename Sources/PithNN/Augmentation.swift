import PithTensor

/// Data augmentation applied to each training batch.
public struct Augmentation: Codable, Equatable, Sendable {
    /// Random translations of up to ±shift pixels in each direction (Hinton et al. 2015
    /// jitter MNIST by up to two pixels); 0: none.
    public var shift: Int
    /// Mixup (Zhang et al. 2018) after the shifts: sample i becomes
    /// λᵢ·xᵢ + (1 − λᵢ)·x_π(i), π a random permutation of the batch, λᵢ ~ Beta(a, a) with
    /// a = `mixup`; 0: none. A mixed image has no single label, so only an objective that
    /// needs none takes it (distillation with α = 1: "function matching", Beyer et al. 2022).
    public var mixup: Float

    public init(shift: Int = 0, mixup: Float = 0) { self.shift = shift; self.mixup = mixup }

    public var isIdentity: Bool { shift == 0 && mixup == 0 }

    enum CodingKeys: String, CodingKey { case shift, mixup }

    /// Checkpoints written before mixup existed have no `mixup` field: none.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        shift = try c.decode(Int.self, forKey: .shift)
        mixup = try c.decodeIfPresent(Float.self, forKey: .mixup) ?? 0
    }

    /// `mixup` is written only when used, so that a run without it writes the checkpoint
    /// it wrote before mixup existed.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(shift, forKey: .shift)
        if mixup != 0 { try c.encode(mixup, forKey: .mixup) }
    }

    /// x: (B, …) holding B samples of `sampleShape` = (C, H, W) (or (H·W) read as one
    /// H = W channel). Each sample moves by its own (dy, dx), both uniform in
    /// −shift...shift, drawn in order from `rng`; pixels moved in from outside are 0.
    /// The result is a new tensor of x's shape, outside the autodiff graph.
    /// Mixup then draws π and the λᵢ from the same `rng`.
    public func apply(_ x: Tensor, sampleShape: [Int], rng: inout PithRandom) -> Tensor {
        let shifted = shifts(x, sampleShape: sampleShape, rng: &rng)
        return mixup > 0 ? mixed(shifted, rng: &rng) : shifted
    }

    /// x (B, …) → x′ with x′ᵢ = λᵢ·xᵢ + (1 − λᵢ)·x_π(i), λᵢ ~ Beta(mixup, mixup).
    func mixed(_ x: Tensor, rng: inout PithRandom) -> Tensor {
        let batch = x.shape[0], per = x.count / max(batch, 1)
        let partner = rng.permutation(batch)
        let out = Tensor(zeros: x.shape)
        for b in 0..<batch {
            let lambda = rng.nextBeta(mixup, mixup)
            let a = x.data + b * per, c = x.data + partner[b] * per, dst = out.data + b * per
            for i in 0..<per { dst[i] = lambda * a[i] + (1 - lambda) * c[i] }
        }
        return out
    }

    func shifts(_ x: Tensor, sampleShape: [Int], rng: inout PithRandom) -> Tensor {
        guard shift > 0 else { return x }
        let (c, h, w) = Self.geometry(sampleShape)
        let per = c * h * w, batch = x.count / max(per, 1)
        let out = Tensor(zeros: x.shape)
        let span = UInt64(2 * shift + 1)
        for b in 0..<batch {
            let dy = Int(rng.next() % span) - shift, dx = Int(rng.next() % span) - shift
            let src = x.data + b * per, dst = out.data + b * per
            // Row y of the output reads row y − dy of the input.
            let x0 = max(0, dx), x1 = min(w, w + dx)
            guard x1 > x0 else { continue }
            for ch in 0..<c {
                for y in max(0, dy)..<min(h, h + dy) {
                    (dst + (ch * h + y) * w + x0).update(from: src + (ch * h + y - dy) * w + x0 - dx, count: x1 - x0)
                }
            }
        }
        return out
    }

    /// (C, H, W) of a sample; a flat sample of a square count is one H×H channel.
    static func geometry(_ shape: [Int]) -> (Int, Int, Int) {
        if shape.count == 3 { return (shape[0], shape[1], shape[2]) }
        let n = shape.reduce(1, *)
        var side = 1
        while (side + 1) * (side + 1) <= n { side += 1 }
        return side * side == n ? (1, side, side) : (1, 1, n)
    }

    /// Why `shape` cannot be shifted, or nil when it can.
    public func problem(sampleShape shape: [Int]) -> String? {
        guard mixup >= 0, mixup <= 1000 else { return "mixup \(mixup) must be between 0 (none) and 1000" }
        guard shift > 0 else { return nil }
        let (_, h, w) = Self.geometry(shape)
        if h == 1 { return "samples of shape \(shape) are not images; --shift needs (C, H, W) or square samples" }
        if shift >= min(h, w) { return "--shift \(shift) is not smaller than the \(h)x\(w) image" }
        return nil
    }
}
