#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
    /// Random rotations about the image centre, uniform in ±rotate degrees; 0: none.
    public var rotate: Float
    /// Random zoom by a factor uniform in 1 ± scale; 0: none.
    public var scale: Float

    public init(shift: Int = 0, mixup: Float = 0, rotate: Float = 0, scale: Float = 0) {
        self.shift = shift; self.mixup = mixup; self.rotate = rotate; self.scale = scale
    }

    public var isIdentity: Bool { shift == 0 && mixup == 0 && !warps }
    var warps: Bool { rotate != 0 || scale != 0 }

    enum CodingKeys: String, CodingKey { case shift, mixup, rotate, scale }

    /// Checkpoints written before mixup, rotate and scale existed lack those fields: none.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        shift = try c.decode(Int.self, forKey: .shift)
        mixup = try c.decodeIfPresent(Float.self, forKey: .mixup) ?? 0
        rotate = try c.decodeIfPresent(Float.self, forKey: .rotate) ?? 0
        scale = try c.decodeIfPresent(Float.self, forKey: .scale) ?? 0
    }

    /// `mixup`, `rotate` and `scale` are written only when used, so that a run without them
    /// writes the checkpoint it wrote before they existed.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(shift, forKey: .shift)
        if mixup != 0 { try c.encode(mixup, forKey: .mixup) }
        if rotate != 0 { try c.encode(rotate, forKey: .rotate) }
        if scale != 0 { try c.encode(scale, forKey: .scale) }
    }

    /// x: (B, …) holding B samples of `sampleShape` = (C, H, W) (or (H·W) read as one
    /// H = W channel). Each sample moves by its own (dy, dx), both uniform in
    /// −shift...shift, drawn in order from `rng`; pixels moved in from outside are 0.
    /// The result is a new tensor of x's shape, outside the autodiff graph.
    /// Rotation and zoom (`warped`) then draw each sample's angle and factor, and mixup
    /// π and the λᵢ, from the same `rng`.
    public func apply(_ x: Tensor, sampleShape: [Int], rng: inout PithRandom) -> Tensor {
        var out = shifts(x, sampleShape: sampleShape, rng: &rng)
        if warps { out = warped(out, sampleShape: sampleShape, rng: &rng) }
        return mixup > 0 ? mixed(out, rng: &rng) : out
    }

    /// Each sample i rotated by θᵢ = (2u − 1)·rotate degrees and zoomed by
    /// fᵢ = 1 + (2u′ − 1)·scale about the centre c = ((W − 1)/2, (H − 1)/2), u, u′ uniform
    /// in [0, 1) drawn in that order: output pixel p reads the input at
    /// q = R(θᵢ)·(p − c)/fᵢ + c, bilinearly, pixels outside the image counting as 0
    /// (torch.nn.functional.grid_sample with align_corners = False, zeros padding).
    func warped(_ x: Tensor, sampleShape: [Int], rng: inout PithRandom) -> Tensor {
        let (c, h, w) = Self.geometry(sampleShape)
        let per = c * h * w, batch = x.count / max(per, 1)
        let out = Tensor(zeros: x.shape)
        for b in 0..<batch {
            let degrees = (2 * rng.nextFloat() - 1) * rotate
            let factor = 1 + (2 * rng.nextFloat() - 1) * scale
            Self.warp(x.data + b * per, into: out.data + b * per, channels: c, height: h, width: w,
                      degrees: degrees, factor: factor)
        }
        return out
    }

    /// One (C, H, W) sample rotated by `degrees` and zoomed by `factor` (see `warped`).
    public static func warp(_ src: UnsafeMutablePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                            channels: Int, height h: Int, width w: Int, degrees: Float, factor: Float) {
        let radians = Double(degrees) * Double.pi / 180
        let k = 1 / Double(factor)
        let a00 = k * cos(radians), a01 = -k * sin(radians), a10 = -a01, a11 = a00
        let cx = Double(w - 1) / 2, cy = Double(h - 1) / 2
        for y in 0..<h {
            for x in 0..<w {
                let dx = Double(x) - cx, dy = Double(y) - cy
                let u = a00 * dx + a01 * dy + cx, v = a10 * dx + a11 * dy + cy
                let u0 = u.rounded(.down), v0 = v.rounded(.down)
                let fu = Float(u - u0), fv = Float(v - v0)
                let x0 = Int(u0), y0 = Int(v0)
                // The four neighbours (x0 or x0 + 1, y0 or y0 + 1), bilinearly weighted;
                // those outside the image read 0.
                for ch in 0..<channels {
                    let plane = src + ch * h * w
                    func at(_ ty: Int, _ tx: Int) -> Float { ty >= 0 && ty < h && tx >= 0 && tx < w ? plane[ty * w + tx] : 0 }
                    let top = (1 - fu) * at(y0, x0) + fu * at(y0, x0 + 1)
                    let bottom = (1 - fu) * at(y0 + 1, x0) + fu * at(y0 + 1, x0 + 1)
                    dst[(ch * h + y) * w + x] = (1 - fv) * top + fv * bottom
                }
            }
        }
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

    /// Why these settings are out of range, or nil when they are not.
    public var rangeProblem: String? {
        guard shift >= 0 else { return "shift \(shift) must not be negative" }
        guard mixup >= 0, mixup <= 1000 else { return "mixup \(mixup) must be between 0 (none) and 1000" }
        guard rotate >= 0, rotate <= 180 else { return "rotate \(rotate) must be between 0 (none) and 180 degrees" }
        guard scale >= 0, scale <= 0.5 else { return "scale \(scale) must be between 0 (none) and 0.5" }
        return nil
    }

    /// Why these settings or samples of `shape` cannot be augmented, or nil when they can.
    public func problem(sampleShape shape: [Int]) -> String? {
        if let rangeProblem { return rangeProblem }
        guard shift > 0 || warps else { return nil }
        let (_, h, w) = Self.geometry(shape)
        let what = shift > 0 ? "--shift" : rotate > 0 ? "--rotate" : "--scale"
        if h == 1 { return "samples of shape \(shape) are not images; \(what) needs (C, H, W) or square samples" }
        if shift >= min(h, w) { return "--shift \(shift) is not smaller than the \(h)x\(w) image" }
        return nil
    }
}
