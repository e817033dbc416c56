#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Learning rate as a function of the update step: a base schedule, optionally after a
/// linear warm-up.
public struct Schedule: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        /// η(t) = η₀.
        case constant
        /// η(t) = η₀ · γ^⌊epoch / stepEpochs⌋.
        case step
        /// η(t) = η_min + (η₀ − η_min) · (1 + cos(π·t/T)) / 2 over the T steps after warm-up.
        case cosine
    }
    public var kind: Kind
    public var baseLR: Float
    public var gamma: Float = 0.1
    public var stepEpochs: Int = 10
    public var minLR: Float = 0
    /// Steps of linear warm-up: η(t) = η₀ · (t + 1) / warmup for t < warmup.
    public var warmupSteps: Int = 0

    public init(kind: Kind, baseLR: Float) {
        self.kind = kind
        self.baseLR = baseLR
    }

    /// The rate for update `step` (0-based) during `epoch` (0-based) of `totalSteps`.
    public func rate(step: Int, epoch: Int, totalSteps: Int) -> Float {
        if step < warmupSteps { return baseLR * Float(step + 1) / Float(warmupSteps) }
        switch kind {
        case .constant:
            return baseLR
        case .step:
            return baseLR * powf(gamma, Float(epoch / max(stepEpochs, 1)))
        case .cosine:
            let span = max(totalSteps - warmupSteps, 1)
            let progress = Float(min(step - warmupSteps, span)) / Float(span)
            return minLR + (baseLR - minLR) * (1 + cosf(Float.pi * progress)) / 2
        }
    }
}
