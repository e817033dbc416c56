import CPithRuntimeKernels
import PithFormat

/// The Dense, Conv2D and pooling steps of a run (`Interpreter.execute` dispatches to them).
extension Interpreter {
    func floatLinear(_ s: FloatLinear, batch: Int) {
        var packed = s.packed
        let x = buffer(s.input).assumingMemoryBound(to: Float.self), y = buffer(s.output).assumingMemoryBound(to: Float.self)
        guard let g = s.conv else {
            let k = Int(packed.K), n = Int(packed.N)
            pith_f32_gemm(x, k, Int32(batch * s.tokens), &packed, s.bias, s.relu ? 1 : 0, y, n, 0)
            return
        }
        // Channels-last: patches in (ky, kx, c) order, the GEMM's (pixels, filters) result
        // is the (H, W, F) output.
        let rows = scratch.assumingMemoryBound(to: Float.self)
        let transposed = rows + g.pixels * g.patch
        let inSample = g.inputElements, outSample = g.filters * g.pixels
        for b in 0 ..< batch {
            var sample = x + b * inSample
            if g.inputNeedsTranspose {
                pith_transpose_f32(sample, Int32(g.channels), Int32(g.height * g.width), transposed)
                sample = transposed
            }
            pith_im2row_nhwc_f32(sample, Int32(g.channels), Int32(g.height), Int32(g.width), Int32(g.kernel), Int32(g.stride),
                                 Int32(g.padding), Int32(g.outHeight), Int32(g.outWidth), rows)
            pith_f32_gemm(rows, g.patch, Int32(g.pixels), &packed, s.bias, s.relu ? 1 : 0, y + b * outSample, g.filters, 0)
        }
    }

    func quantizedLinear(_ s: QuantizedLinear, batch: Int) {
        var packed = s.packed
        var stage = s.outputStage
        let x = buffer(s.input).assumingMemoryBound(to: UInt8.self), y = buffer(s.output).assumingMemoryBound(to: UInt8.self)
        guard let g = s.conv else {
            let (k, n) = (Int(packed.K), Int(packed.N))
            guard let tokenBias = s.tokenBias else {
                if let start = s.start {
                    pith_q8_gemm_u8_start(x, k, Int32(batch * s.tokens), &packed, start, &stage, y, n, PITH_Q8_AUTO)
                } else {
                    pith_q8_gemm_u8(x, k, Int32(batch * s.tokens), &packed, &stage, y, n, PITH_Q8_AUTO)
                }
                return
            }
            // Per sample: (T, N) int32 sums, the bias of each token added, then requantized.
            let acc = scratch.assumingMemoryBound(to: Int32.self)
            for b in 0 ..< batch {
                pith_q8_gemm_s32(x + b * s.tokens * k, k, Int32(s.tokens), &packed, nil, stage.a_zero, acc, n, PITH_Q8_AUTO)
                pith_q_add_rows_s32(acc, tokenBias, s.tokens * n)
                pith_q8_requantize_rows(acc, Int32(s.tokens), Int32(n), n, &stage, y + b * s.tokens * n, n)
            }
            return
        }
        let rows = scratch.assumingMemoryBound(to: UInt8.self)
        let transposed = rows + g.pixels * s.patchBytes
        let padded = transposed + g.inputElements + 64
        let inSample = g.inputElements, outSample = g.filters * g.pixels
        for b in 0 ..< batch {
            var sample = x + b * inSample
            if g.inputNeedsTranspose {
                pith_transpose_u8(sample, Int32(g.channels), Int32(g.height * g.width), transposed)
                sample = UnsafeMutablePointer(transposed)
            }
            // Pad once (the border holds the input's zero point): then patches are read in
            // place through the group offsets (AVX-512 VNNI: the implicit GEMM; elsewhere
            // gathered into rows first), or im2row copies them with no border cases.
            if g.padding > 0 {
                pith_pad_nhwc_u8(sample, Int32(g.height), Int32(g.width), Int32(g.channels), Int32(g.padding), s.inputZero, padded)
            }
            let source = g.padding > 0 ? UnsafePointer(padded) : UnsafePointer(sample)
            if let offsets = s.convOffsets {
                if pith_q8_conv_u8(source, Int32(g.paddedWidth), Int32(g.channels), Int32(g.stride), Int32(g.outHeight), Int32(g.outWidth),
                                   offsets, Int32(s.kernelWidth * g.channels / 4), &packed, &stage, y + b * outSample, g.filters, PITH_Q8_AUTO) != 0 { continue }
                pith_q8_gather_patches(source, Int32(g.paddedWidth), Int32(g.channels), Int32(g.stride), Int32(g.outHeight), Int32(g.outWidth),
                                       offsets, packed.K / 4, rows)
            } else {
                pith_im2row_nhwc_u8(source, Int32(g.channels), Int32(g.paddedHeight), Int32(g.paddedWidth), Int32(g.kernel), Int32(g.stride),
                                    0, Int32(g.outHeight), Int32(g.outWidth), s.inputZero, rows, Int32(s.patchBytes))
            }
            pith_q8_gemm_u8(rows, s.patchBytes, Int32(g.pixels), &packed, &stage, y + b * outSample, g.filters, PITH_Q8_AUTO)
        }
    }

    func pool(_ s: PoolStep, batch: Int) {
        let inSample = s.channels * s.height * s.width, outSample = s.channels * s.outHeight * s.outWidth
        let args = (Int32(s.channels), Int32(s.height), Int32(s.width), Int32(s.kernel), Int32(s.stride), Int32(s.outHeight), Int32(s.outWidth))
        for b in 0 ..< batch {
            if layouts[s.input].dtype == .float32 {
                let x = buffer(s.input).assumingMemoryBound(to: Float.self) + b * inSample
                let y = buffer(s.output).assumingMemoryBound(to: Float.self) + b * outSample
                switch (s.average, s.channelsLast) {
                case (true, false): pith_avgpool_f32(x, args.0, args.1, args.2, args.3, args.4, args.5, args.6, y)
                case (false, false): pith_maxpool_f32(x, args.0, args.1, args.2, args.3, args.4, args.5, args.6, y)
                case (true, true): pith_avgpool_nhwc_f32(x, args.0, args.1, args.2, args.3, args.4, args.5, args.6, y)
                case (false, true): pith_maxpool_nhwc_f32(x, args.0, args.1, args.2, args.3, args.4, args.5, args.6, y)
                }
            } else {
                let x = buffer(s.input).assumingMemoryBound(to: UInt8.self) + b * inSample
                let y = buffer(s.output).assumingMemoryBound(to: UInt8.self) + b * outSample
                switch (s.average, s.channelsLast) {
                case (true, false): pith_avgpool_u8(x, args.0, args.1, args.2, args.3, args.4, args.5, args.6, y)
                case (false, false): pith_maxpool_u8(x, args.0, args.1, args.2, args.3, args.4, args.5, args.6, y)
                case (true, true): pith_avgpool_nhwc_u8(x, args.0, args.1, args.2, args.3, args.4, args.5, args.6, y)
                case (false, true): pith_maxpool_nhwc_u8(x, args.0, args.1, args.2, args.3, args.4, args.5, args.6, y)
                }
            }
        }
    }
}
