/// A weight tensor quantized symmetrically per output channel (axis 0):
/// w ≈ scale[c] · q, q ∈ [−127, 127], zero point 0.
public struct QuantizedWeight: Sendable, Equatable {
    public var values: [Int8]
    /// One per output channel: max |w| over the channel / 127 (1 for an all-zero channel).
    public var scales: [Float]

    /// Rows of `values` per channel.
    public var channels: Int { scales.count }

    /// The float weights these integers stand for: scale[c] · q.
    public func dequantized() -> [Float] {
        let per = values.count / max(channels, 1)
        var out = [Float](repeating: 0, count: values.count)
        for c in 0..<channels {
            for i in c * per ..< (c + 1) * per { out[i] = scales[c] * Float(values[i]) }
        }
        return out
    }

    /// Little-endian bytes (int8 is one byte: the two's-complement bit patterns).
    public var bytes: [UInt8] { values.map { UInt8(bitPattern: $0) } }
}

/// Per-channel symmetric int8 weight quantization, as TFLite and ONNX Runtime do it for
/// weights: −127...127 (not −128, so the range is symmetric and −q never overflows).
public enum WeightQuantizer {
    /// w: (channels, ...) row-major.
    public static func perChannelSymmetric(_ w: [Float], channels: Int) -> QuantizedWeight {
        precondition(channels > 0 && w.count % channels == 0, "weight count \(w.count) is not a multiple of \(channels) channels")
        let per = w.count / channels
        var values = [Int8](repeating: 0, count: w.count)
        var scales = [Float](repeating: 1, count: channels)
        for c in 0..<channels {
            let row = w[c * per ..< (c + 1) * per]
            let maxAbs = row.reduce(Float(0)) { max($0, abs($1)) }
            guard maxAbs > 0 else { continue }
            let scale = maxAbs / 127
            scales[c] = scale
            for i in row.indices {
                // Round half away from zero, then clamp (|w|/scale ≤ 127 up to rounding).
                values[i] = Int8(max(-127, min(127, (w[i] / scale).rounded())))
            }
        }
        return QuantizedWeight(values: values, scales: scales)
    }
}
