import CPithTrainKernels

/// A long short-term memory layer over whole sequences, forward and backward in one op.
///
/// x: (B, T, I); inputWeight W: (4H, I); recurrentWeight U: (4H, H); bias b: (4H), one per
/// gate (PyTorch keeps two, b_ih + b_hh, whose sum is this one). Gates in PyTorch's order
/// [i | f | g | o]. With h₋₁ = c₋₁ = 0, for t = 0 … T−1:
///
///     z_t = W x_t + U h_{t−1} + b,   i, f, o = σ(z_i, z_f, z_o),   g = tanh(z_g),
///     c_t = f ⊙ c_{t−1} + i ⊙ g,     h_t = o ⊙ tanh(c_t).
///
/// Returns (B, T, H), every h_t, when `returnSequence`, else (B, H), the last h_{T−1}.
///
/// Inside, the steps are time-major, (T, B, ·), and each step's input sits beside the
/// state it meets: xh (T, B, I + H) holds [x_t | h_{t−1}]. The input projection W x_t of
/// all steps is one GEMM; then each thread takes its share of the B sequences through all
/// T steps (a GEMM for U h_{t−1} over its rows and the point-wise cell,
/// `pith_lstm_step_forward`), with no synchronisation between steps: sequences are
/// independent.
///
/// Backward (through time), each thread over its sequences from t = T−1 down to 0: ∂z_t
/// from `pith_lstm_step_backward`, ∂h_{t−1} = ∂z_t U. Then one GEMM gives
/// [∂W | ∂U] = Σ_t ∂z_tᵀ [x_t | h_{t−1}], another ∂x_t = ∂z_t W; ∂b = Σ_t ∂z_t.
public func lstm(_ x: Tensor, inputWeight w: Tensor, recurrentWeight u: Tensor, bias: Tensor, returnSequence: Bool) -> Tensor {
    precondition(x.shape.count == 3 && w.shape.count == 2 && w.shape[1] == x.shape[2] && w.shape[0] % 4 == 0,
                 "lstm: input \(x.shape) does not fit input weight \(w.shape)")
    let batch = x.shape[0], steps = x.shape[1], inputs = x.shape[2], hidden = w.shape[0] / 4, width = 4 * hidden
    precondition(u.shape == [width, hidden] && bias.shape == [width],
                 "lstm: recurrent weight \(u.shape) or bias \(bias.shape) does not fit hidden size \(hidden)")
    precondition(steps > 0, "lstm: empty sequence")
    // Saved for backward: xh (T, B, I + H); the activated gates (T, B, 4H); c (T+1, B, H)
    // with the zero state in slot 0, so that step t reads slot t and writes t+1; tanh(c_t)
    // (T, B, H); and the last h, (B, H).
    let joint = inputs + hidden
    let xh = Tensor(uninitialized: [steps, batch, joint])
    let gates = Tensor(uninitialized: [steps, batch, width])
    let cs = Tensor(uninitialized: [steps + 1, batch, hidden]), last = Tensor(uninitialized: [batch, hidden])
    let tanhC = Tensor(uninitialized: [steps, batch, hidden])
    cs.data.update(repeating: 0, count: batch * hidden)
    let plane = batch * hidden
    let shape = returnSequence ? [batch, steps, hidden] : [batch, hidden]
    let out = Tensor(opOutput: shape, parents: [x, w, u, bias]) { out in
        let dgates = Tensor(uninitialized: [steps, batch, width])
        let dhRec = Tensor(uninitialized: [batch, hidden]), dc = Tensor(zeros: [batch, hidden])
        nonisolated(unsafe) let g = gates.data, dg = dgates.data, c = cs.data, tc = tanhC.data, ud = u.data
        nonisolated(unsafe) let dr = dhRec.data, dcp = dc.data, gout = out.grad
        // ∂h_t from above for sequence b: out.grad at b·T·H + t·H (every step) or b·H (last).
        let upStride = returnSequence ? steps * hidden : hidden
        parallelRanges(batch, grain: 8) { lo, hi in
            for t in stride(from: steps - 1, through: 0, by: -1) {
                let up: UnsafePointer<Float>? = returnSequence || t == steps - 1
                    ? UnsafePointer(gout + lo * upStride + (returnSequence ? t * hidden : 0)) : nil
                pith_lstm_step_backward(g + t * batch * width + lo * width, dg + t * batch * width + lo * width, width,
                                        c + t * plane + lo * hidden, tc + t * plane + lo * hidden, hidden,
                                        up, upStride, t == steps - 1 ? nil : UnsafePointer(dr + lo * hidden),
                                        dcp + lo * hidden, hi - lo, hidden)
                if t > 0 {
                    sgemmSerial(false, false, hi - lo, hidden, width, 1, dg + t * batch * width + lo * width, width,
                                ud, hidden, 0, dr + lo * hidden, hidden)
                }
            }
        }
        if w.requiresGrad || u.requiresGrad {
            let dwu = Tensor(uninitialized: [width, joint])
            sgemm(transA: true, m: width, n: joint, k: steps * batch, a: dg, lda: width, b: xh.data, ldb: joint,
                  c: dwu.data, ldc: joint)
            let gw = w.grad, gu = u.grad
            for r in 0..<width {
                let row = dwu.data + r * joint, wr = gw + r * inputs, ur = gu + r * hidden
                for j in 0..<inputs { wr[j] += row[j] }
                for j in 0..<hidden { ur[j] += row[inputs + j] }
            }
        }
        if bias.requiresGrad { addColumnSums(dg, rows: steps * batch, columns: width, into: bias.grad) }
        if x.requiresGrad {
            let dxt = Tensor(uninitialized: [steps, batch, inputs])
            sgemm(m: steps * batch, n: inputs, k: width, a: dg, lda: width, b: w.data, ldb: inputs, c: dxt.data, ldc: inputs)
            let gx = x.grad
            for b in 0..<batch {
                for t in 0..<steps {
                    let dst = gx + (b * steps + t) * inputs, src = dxt.data + (t * batch + b) * inputs
                    for j in 0..<inputs { dst[j] += src[j] }
                }
            }
        }
    }
    let j = xh.data
    for b in 0..<batch {
        for t in 0..<steps {
            (j + (t * batch + b) * joint).update(from: x.data + (b * steps + t) * inputs, count: inputs)
        }
        (j + b * joint + inputs).update(repeating: 0, count: hidden)
    }
    sgemm(transB: true, m: steps * batch, n: width, k: inputs, a: j, lda: joint, b: w.data, ldb: inputs,
          c: gates.data, ldc: width)
    nonisolated(unsafe) let g = gates.data, xhp = j, c = cs.data, tc = tanhC.data, ud = u.data, bd = bias.data, lp = last.data
    parallelRanges(batch, grain: 8) { lo, hi in
        for t in 0..<steps {
            let z = g + t * batch * width + lo * width
            if t > 0 {
                sgemmSerial(false, true, hi - lo, width, hidden, 1, xhp + (t * batch + lo) * joint + inputs, joint,
                            ud, hidden, 1, z, width)
            }
            // h_t goes beside x_{t+1}, or, at the last step, to `last`.
            let (h, hStride) = t + 1 < steps ? (xhp + ((t + 1) * batch + lo) * joint + inputs, joint) : (lp + lo * hidden, hidden)
            pith_lstm_step_forward(z, width, bd, c + t * plane + lo * hidden, c + (t + 1) * plane + lo * hidden,
                                   tc + t * plane + lo * hidden, hidden, h, hStride, hi - lo, hidden)
        }
    }
    let y = out.data
    if returnSequence {
        for b in 0..<batch {
            for t in 0..<steps {
                let h = t + 1 < steps ? j + ((t + 1) * batch + b) * joint + inputs : last.data + b * hidden
                (y + (b * steps + t) * hidden).update(from: h, count: hidden)
            }
        }
    } else {
        y.update(from: last.data, count: plane)
    }
    return out
}

/// out[j] += Σ_r x[r·columns + j]: the column sums of a (rows, columns) matrix.
func addColumnSums(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let row = x + r * columns
        for j in 0..<columns { out[j] += row[j] }
    }
}
