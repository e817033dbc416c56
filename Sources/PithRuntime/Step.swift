import CPithRuntimeKernels
import PithFormat

/// Dense or Conv2D in float32: y = x·Wᵀ + b (conv: on im2row patches, per sample).
struct FloatLinear {
    var input: Int, output: Int
    var packed: pith_f32_packed
    var bias: UnsafeMutablePointer<Float>?
    var relu: Bool
    var conv: ConvGeometry?
    /// Rows of K inputs per sample (a Dense layer over a sequence (T, K): T).
    var tokens: Int = 1
}

/// Dense or Conv2D on uint8 activations and int8 weights, requantized to uint8. A class:
/// the step that runs it takes a reference, not a copy of its fields.
final class QuantizedLinear {
    let input: Int, output: Int
    let packed: pith_q8_packed
    let outputStage: pith_q8_output
    let conv: ConvGeometry?
    let inputZero: UInt8
    /// Rows of K inputs per sample: 1, or T for a Dense layer over a sequence (T, K).
    var tokens: Int = 1
    /// A bias per token (T, N) int32, added before requantizing (the GEMM's bias is then
    /// none), or nil.
    var tokenBias: UnsafeMutablePointer<Int32>? = nil
    /// Group offsets into the padded input (pith_q8_conv_offsets) where the convolution
    /// reads its patches through them: channels a multiple of 4, or 1 or 2 with the kernel
    /// rows widened to `kernelWidth` positions (zero weights past the kernel) so that a
    /// row of a patch is whole groups of 4. nil: im2row patches.
    let convOffsets: UnsafeMutablePointer<Int32>?
    let kernelWidth: Int
    /// A Dense layer's column starts (N): bias − za·colsum (pith_q8_gemm_start), or nil.
    let start: UnsafeMutablePointer<Int32>?
    /// Bytes of one uint8 patch row: the packed K.
    var patchBytes: Int { Int(packed.K4) }

    init(input: Int, output: Int, packed: pith_q8_packed, outputStage: pith_q8_output, conv: ConvGeometry?, inputZero: UInt8,
         convOffsets: UnsafeMutablePointer<Int32>?, kernelWidth: Int, start: UnsafeMutablePointer<Int32>?) {
        self.input = input
        self.output = output
        self.packed = packed
        self.outputStage = outputStage
        self.conv = conv
        self.inputZero = inputZero
        self.convOffsets = convOffsets
        self.kernelWidth = kernelWidth
        self.start = start
    }
}

/// Shapes of a convolution for one sample.
struct ConvGeometry {
    var channels: Int, height: Int, width: Int
    var kernel: Int, stride: Int, padding: Int
    var filters: Int, outHeight: Int, outWidth: Int
    var pixels: Int { outHeight * outWidth }
    var patch: Int { channels * kernel * kernel }
    /// Bytes between uint8 patch rows: the patch rounded up to 4 (the int8 GEMM's groups).
    var patchStride: Int { (patch + 3) / 4 * 4 }
    /// The input is (C, H, W) with C > 1 and must be made channels-last first.
    var inputNeedsTranspose: Bool
    var inputElements: Int { channels * height * width }
    var paddedHeight: Int { height + 2 * padding }
    var paddedWidth: Int { width + 2 * padding }
    /// Elements of the input padded on every side (the implicit GEMM reads it in place).
    var paddedElements: Int { paddedHeight * paddedWidth * channels }
}

/// MaxPool / AvgPool on one value.
struct PoolStep {
    var input: Int, output: Int
    var average: Bool
    var channels: Int, height: Int, width: Int, kernel: Int, stride: Int, outHeight: Int, outWidth: Int
    var channelsLast: Bool
}

/// One prepared operation of the graph, reading and writing values by index. Indirect: a
/// step is passed and copied as one reference, not as its payload (hundreds of bytes, which
/// a 32-bit microcontroller copied with memcpy on every step of every run).
indirect enum Step {
    case floatLinear(FloatLinear)
    case quantizedLinear(QuantizedLinear)
    case quantizedLSTM(QuantizedLSTM)
    case quantizedLayerNorm(QuantizedLayerNorm)
    case quantizedAttention(QuantizedAttention)
    case quantizedAdd(QuantizedAdd)
    case quantizedMeanTokens(QuantizedMeanTokens)
    case lookup(TableLookup)
    case pool(PoolStep)
    /// max(x, 0) for float; max(q, zero point) for uint8.
    case relu(input: Int, output: Int)
    /// Flatten / Reshape: the same bytes under another shape.
    case copy(input: Int, output: Int)
    /// Flatten of a channels-last value: (H·W, C) → (C, H·W) per sample, the file's order.
    case toChannelsFirst(input: Int, output: Int, channels: Int, pixels: Int)
    /// Float → uint8/int8 with the output's scale and zero point.
    case quantize(input: Int, output: Int)
    /// uint8/int8/int32 → float with the input's scale and zero point.
    case dequantize(input: Int, output: Int)
    case softmax(input: Int, output: Int)
    case addFloat(a: Int, b: Int, output: Int)

    var inputs: [Int] {
        switch self {
        case let .floatLinear(s): return [s.input]
        case let .quantizedLinear(s): return [s.input]
        case let .quantizedLSTM(s): return [s.input]
        case let .quantizedLayerNorm(s): return [s.input]
        case let .quantizedAttention(s): return [s.q, s.k, s.v]
        case let .quantizedAdd(s): return [s.a, s.b]
        case let .quantizedMeanTokens(s): return [s.input]
        case let .lookup(s): return [s.input]
        case let .pool(s): return [s.input]
        case let .relu(i, _), let .copy(i, _), let .quantize(i, _), let .dequantize(i, _), let .softmax(i, _): return [i]
        case let .toChannelsFirst(i, _, _, _): return [i]
        case let .addFloat(a, b, _): return [a, b]
        }
    }

    var output: Int {
        switch self {
        case let .floatLinear(s): return s.output
        case let .quantizedLinear(s): return s.output
        case let .quantizedLSTM(s): return s.output
        case let .quantizedLayerNorm(s): return s.output
        case let .quantizedAttention(s): return s.output
        case let .quantizedAdd(s): return s.output
        case let .quantizedMeanTokens(s): return s.output
        case let .lookup(s): return s.output
        case let .pool(s): return s.output
        case let .relu(_, o), let .copy(_, o), let .quantize(_, o), let .dequantize(_, o), let .softmax(_, o): return o
        case let .toChannelsFirst(_, o, _, _): return o
        case let .addFloat(_, _, o): return o
        }
    }

    /// Scratch bytes one sample needs (im2row patches and a channels-last copy of the
    /// input), and whether computing it overflowed.
    var scratchBytes: (Int, Bool) {
        func total(_ g: ConvGeometry, rowBytes: Int, elementSize: Int) -> (Int, Bool) {
            let (patches, o1) = g.pixels.multipliedReportingOverflow(by: rowBytes)
            let (input, o2) = g.inputElements.multipliedReportingOverflow(by: elementSize)
            let (padded, o4) = g.paddedElements.multipliedReportingOverflow(by: elementSize)
            let (sum0, o3) = patches.addingReportingOverflow(input)
            let (sum, o5) = sum0.addingReportingOverflow(padded)
            return (sum &+ 192, o1 || o2 || o3 || o4 || o5 || sum > Int.max - 192)
        }
        switch self {
        case let .floatLinear(s):
            guard let g = s.conv else { return (0, false) }
            return total(g, rowBytes: g.patch * 4, elementSize: 4)
        case let .quantizedLinear(s):
            guard let g = s.conv else {
                // A bias per token: one sample's (T, N) int32 accumulators.
                guard s.tokenBias != nil else { return (0, false) }
                let (n, o) = s.tokens.multipliedReportingOverflow(by: Int(s.packed.N) * 4)
                return (n, o)
            }
            return total(g, rowBytes: s.patchBytes, elementSize: 1)
        case let .quantizedLSTM(s):
            // Per call, whatever the batch, for either kernel: at most about 150·H bytes
            // (H ≤ 65,000, no overflow).
            let h = Int32(s.hidden)
            return (max(Int(pith_q_lstm_scratch_bytes(h)), Int(pith_q_lstm_run_scratch_bytes(h))), false)
        case let .quantizedAttention(s):
            // T ≤ 32,767 and D ≤ 2^24 elements a sample: no overflow in 64 bits.
            return (Int(pith_q_attention_scratch_bytes(s.parameters.T, s.parameters.D, s.parameters.heads)), false)
        default: return (0, false)
        }
    }
}
