import PithTensor

/// Data augmentation applied to each training batch.
public struct Augmentation: Codable, Equatable, Sendable {
    /// Random translations of up to ±shift pixels in each direction (Hinton et al. 2015
    /// jitter MNIST by up to two pixels); 0: none.
    public var shift: Int

    public init(shift: Int = 0) { self.shift = shift }

    public var isIdentity: Bool { shift == 0 }

    /// x: (B, …) holding B samples of `sampleShape` = (C, H, W) (or (H·W) read as one
    /// H = W channel). Each sample moves by its own (dy, dx), both uniform in
    /// −shift...shift, drawn in order from `rng`; pixels moved in from outside are 0.
    /// The result is a new tensor of x's shape, outside the autodiff graph.
    public func apply(_ x: Tensor, sampleShape: [Int], rng: inout PithRandom) -> Tensor {
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
        guard shift > 0 else { return nil }
        let (_, h, w) = Self.geometry(shape)
        if h == 1 { return "samples of shape \(shape) are not images; --shift needs (C, H, W) or square samples" }
        if shift >= min(h, w) { return "--shift \(shift) is not smaller than the \(h)x\(w) image" }
        return nil
    }
}
