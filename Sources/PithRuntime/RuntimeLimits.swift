/// What loading and running one model may take beyond the file itself (docs/FORMAT.md,
/// "Memory"). The interpreter checks each size against these before it allocates, so a
/// small file that describes large tensors is refused, not run out of memory.
///
/// The peak a model can make the runtime hold, with `threads` threads:
///
///     file bytes (mapped, or the caller's copy)
///   + decoded zstd sections          ≤ Limits.maxDecodedTotal  (PithFormat, 1 GiB)
///   + prepared weights, at their peak ≤ maxWeightBytes          (1 GiB: packed weights,
///                                         column sums, biases, multipliers and the
///                                         temporaries of unpacking them)
///   + activations of all threads      ≤ maxActivationBytes      (1 GiB: each thread's
///                                         arena and scratch, 64-byte slack included)
///   + the graph's bookkeeping         (bounded by the format's counts: ≤ 4,096 nodes
///                                         and tensors)
///
/// Threads share one copy of the prepared weights.
public struct RuntimeLimits: Sendable, Equatable {
    /// Most bytes of prepared weights alive at once while loading, temporaries included.
    public var maxWeightBytes = 1 << 30
    /// Most bytes of activations: the arenas and scratch buffers of every thread together.
    public var maxActivationBytes = 1 << 30

    /// The defaults above.
    public static let standard = RuntimeLimits()

    public init(maxWeightBytes: Int = 1 << 30, maxActivationBytes: Int = 1 << 30) {
        self.maxWeightBytes = maxWeightBytes
        self.maxActivationBytes = maxActivationBytes
    }
}
