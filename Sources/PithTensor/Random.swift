/// A small, fast, seedable generator (xoshiro256**, seeded through SplitMix64).
///
/// Every random choice in Pith (initialisation, shuffling, dropout, augmentation) draws
/// from one of these, so a run with a seed is repeatable bit for bit.
public struct PithRandom: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(&x), splitmix(&x), splitmix(&x), splitmix(&x))
    }

    /// A generator for a named sub-stream: `PithRandom(seed: s, stream: epoch)`.
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0xD6E8_FEB8_6659_FD93) ^ 0x5851_F42D_4C95_7F2D)
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1).
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Standard normal (Box–Muller).
    public mutating func nextNormal() -> Float {
        var u1 = nextFloat()
        while u1 <= 0 { u1 = nextFloat() }
        let u2 = nextFloat()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Float.pi * u2)
    }

    /// Gamma(shape k, scale 1), k > 0 (Marsaglia and Tsang 2000; for k < 1,
    /// Gamma(k + 1)·U^(1/k)).
    public mutating func nextGamma(_ k: Float) -> Float {
        precondition(k > 0 && k.isFinite, "Gamma shape \(k) must be a positive number")
        if k < 1 {
            var u = nextFloat()
            while u <= 0 { u = nextFloat() }
            return nextGamma(k + 1) * _pow(u, 1 / k)
        }
        let d = k - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            let z = nextNormal()
            let v0 = 1 + c * z
            guard v0 > 0 else { continue }
            let v = v0 * v0 * v0
            let u = nextFloat()
            if u < 1 - 0.0331 * z * z * z * z { return d * v }
            if u > 0, _log(u) < 0.5 * z * z + d * (1 - v + _log(v)) { return d * v }
        }
    }

    /// Beta(a, b) in [0, 1]: X / (X + Y) for X ~ Gamma(a), Y ~ Gamma(b).
    public mutating func nextBeta(_ a: Float, _ b: Float) -> Float {
        let x = nextGamma(a), y = nextGamma(b)
        return x + y > 0 ? x / (x + y) : 0.5
    }

    /// A permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n < 2 { return p }
        for i in stride(from: n - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            p.swapAt(i, j)
        }
        return p
    }
}

