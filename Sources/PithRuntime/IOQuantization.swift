import PithFormat

/// How float32 values become a model's input bytes, and its output bytes float32 again —
/// the one place for pith-run and the C API (`Interpreter.inputQuantization`,
/// `outputQuantization`).
///
/// An 8-bit edge (uint8 or int8, with the per-tensor scale s and zero point z that the
/// runtime requires of graph inputs and outputs):
///
///     encode: q = clamp(round_half_even(x / s) + z, lo, hi)   (lo, hi: 0, 255 or −128, 127)
///     decode: x = s · (q − z)
///
/// A float32 edge is copied as it is (little-endian, the runtime's buffers). Encoding
/// refuses NaN and infinity for every dtype, naming the value and its sample — the same
/// line the interpreter gives for a float32 input.
public struct IOQuantization: Equatable, Sendable {
    public let dtype: DType
    public let scale: Float
    public let zeroPoint: Int32

    public init(dtype: DType, scale: Float = 1, zeroPoint: Int32 = 0) {
        self.dtype = dtype
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// Bytes one encoded value takes.
    public var bytesPerValue: Int { dtype.size }

    /// Encodes `x` into `out` (room for x.count × bytesPerValue bytes); `valuesPerSample`
    /// numbers the sample of a bad value in the error.
    public func encode(_ x: UnsafeBufferPointer<Float>, into out: UnsafeMutableRawPointer, valuesPerSample: Int) throws(RuntimeError) {
        guard let base = x.baseAddress else { return }
        for (i, v) in x.enumerated() where !v.isFinite {
            throw .badInput("value \(i) (sample \(i / max(valuesPerSample, 1))) is \(v.isNaN ? "NaN" : "infinite")")
        }
        switch dtype {
        case .float32:
            out.copyMemory(from: base, byteCount: 4 * x.count)
        case .uint8, .int8:
            let lo: Float = dtype == .uint8 ? 0 : -128, hi: Float = dtype == .uint8 ? 255 : 127
            let bytes = out.assumingMemoryBound(to: UInt8.self)
            for (i, v) in x.enumerated() {
                let q = min(hi, max(lo, (v / scale).rounded(.toNearestOrEven) + Float(zeroPoint)))
                bytes[i] = dtype == .uint8 ? UInt8(q) : UInt8(bitPattern: Int8(q))
            }
        case .int32:
            preconditionFailure("IOQuantization: int32 graph edges are refused when a model is loaded")
        }
    }

    /// Decodes `count` values at `raw` into `y`.
    public func decode(_ raw: UnsafeRawPointer, count: Int, into y: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .float32:
            for i in 0..<count { y[i] = raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
        case .uint8, .int8:
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            for i in 0..<count {
                let code = dtype == .uint8 ? Int32(bytes[i]) : Int32(Int8(bitPattern: bytes[i]))
                y[i] = scale * Float(code - zeroPoint)
            }
        case .int32:
            preconditionFailure("IOQuantization: int32 graph edges are refused when a model is loaded")
        }
    }

    /// `x` encoded, as a new array.
    public func encode(_ x: ArraySlice<Float>, valuesPerSample: Int) throws(RuntimeError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: x.count * bytesPerValue)
        guard !x.isEmpty else { return out }
        var failure: RuntimeError? = nil
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { dst in
                do throws(RuntimeError) { try encode(src, into: dst.baseAddress!, valuesPerSample: valuesPerSample) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return out
    }

    /// The first `count` values of `raw` decoded (raw holds at least count × bytesPerValue bytes).
    public func decode(_ raw: [UInt8], count: Int) -> [Float] {
        precondition(raw.count >= count * bytesPerValue, "IOQuantization: \(raw.count) bytes for \(count) values")
        var y = [Float](repeating: 0, count: count)
        guard count > 0 else { return y }
        raw.withUnsafeBytes { r in y.withUnsafeMutableBufferPointer { decode(r.baseAddress!, count: count, into: $0.baseAddress!) } }
        return y
    }
}

extension Interpreter {
    /// How float32 values become this model's input bytes.
    public var inputQuantization: IOQuantization {
        let v = values[inputValue]
        return IOQuantization(dtype: v.dtype, scale: v.scale, zeroPoint: v.zeroPoint)
    }

    /// How this model's output bytes become float32.
    public var outputQuantization: IOQuantization {
        let v = values[outputValue]
        return IOQuantization(dtype: v.dtype, scale: v.scale, zeroPoint: v.zeroPoint)
    }
}
