/// Output size of a convolution or pooling window along one axis:
/// ⌊(size + 2·padding − kernel) / stride⌋ + 1.
public func convOutputSize(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
    (size + 2 * padding - kernel) / stride + 1
}

/// 2-D convolution (cross-correlation, as in every framework), NCHW.
/// x: (N, C, H, W), w: (O, C, KH, KW), bias: (O) → y: (N, O, OH, OW),
/// y[n,o,i,j] = bias[o] + Σ_{c,u,v} w[o,c,u,v] · x[n, c, i·s − p + u, j·s − p + v] (zero outside).
///
/// Lowered per sample to a GEMM on im2col patches: col_n (C·KH·KW, OH·OW), then
/// y_n (O, OH·OW) = W (O, C·KH·KW) · col_n — which is already sample n's NCHW block.
/// Backward, per sample: ∂W += ∂y_n · col_nᵀ, ∂col_n = Wᵀ · ∂y_n folded back by col2im,
/// ∂bias += Σ ∂y_n. Samples are spread over threads in a fixed number of chunks, each with
/// its own patch buffer (it stays in cache) and its own ∂W, summed in chunk order, so the
/// result does not depend on the thread count. Patches are recomputed in backward rather
/// than kept: cheaper than storing and re-reading N·C·KH·KW·OH·OW floats.
public func conv2d(_ x: Tensor, _ w: Tensor, _ bias: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
    precondition(x.shape.count == 4 && w.shape.count == 4 && x.shape[1] == w.shape[1],
                 "conv2d: input \(x.shape) does not fit weight \(w.shape)")
    precondition(stride >= 1 && padding >= 0, "conv2d: stride \(stride), padding \(padding)")
    let n = x.shape[0], c = x.shape[1], h = x.shape[2], wd = x.shape[3]
    let o = w.shape[0], kh = w.shape[2], kw = w.shape[3]
    let oh = convOutputSize(h, kernel: kh, stride: stride, padding: padding)
    let ow = convOutputSize(wd, kernel: kw, stride: stride, padding: padding)
    precondition(oh > 0 && ow > 0, "conv2d: kernel \(kh)x\(kw) larger than padded input \(h)x\(wd)")
    if let bias { precondition(bias.shape == [o], "conv2d: bias \(bias.shape), expected [\(o)]") }
    let ckk = c * kh * kw, ohw = oh * ow, imageSize = c * h * wd
    let geometry = ConvGeometry(c: c, h: h, w: wd, kh: kh, kw: kw, oh: oh, ow: ow, stride: stride, padding: padding)
    let chunks = min(n, 8)

    let parents = bias.map { [x, w, $0] } ?? [x, w]
    let out = Tensor(opOutput: [n, o, oh, ow], parents: parents) { out in
        nonisolated(unsafe) let g = out.grad, xs = x.data, ws = w.data
        nonisolated(unsafe) let gx: UnsafeMutablePointer<Float>? = x.requiresGrad ? x.grad : nil
        let needW = w.requiresGrad, needBias = bias?.requiresGrad ?? false
        // Per chunk: ∂W (O·CKK) then ∂bias (O).
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * (o * ckk + o))
        partial.initialize(repeating: 0, count: chunks * (o * ckk + o))
        defer { partial.deallocate() }
        parallelFor(chunks) { chunk in
            let col = UnsafeMutablePointer<Float>.allocate(capacity: ckk * ohw)
            let dcol = UnsafeMutablePointer<Float>.allocate(capacity: ckk * ohw)
            defer { col.deallocate(); dcol.deallocate() }
            let dW = partial + chunk * (o * ckk + o), dB = dW + o * ckk
            for s in (n * chunk / chunks)..<(n * (chunk + 1) / chunks) {
                let dy = g + s * o * ohw
                if needW {
                    geometry.im2col(image: xs + s * imageSize, col: col)
                    sgemmSerial(false, true, o, ckk, ohw, 1, dy, ohw, col, ohw, 1, dW, ckk)
                }
                if needBias {
                    for oc in 0..<o {
                        var total: Float = 0
                        for j in 0..<ohw { total += dy[oc * ohw + j] }
                        dB[oc] += total
                    }
                }
                if let gx {
                    sgemmSerial(true, false, ckk, ohw, o, 1, ws, ckk, dy, ohw, 0, dcol, ohw)
                    geometry.col2im(col: dcol, image: gx + s * imageSize)
                }
            }
        }
        for chunk in 0..<chunks {
            let dW = partial + chunk * (o * ckk + o)
            if needW { let gw = w.grad; for i in 0..<(o * ckk) { gw[i] += dW[i] } }
            if needBias, let bias { let gb = bias.grad; for i in 0..<o { gb[i] += dW[o * ckk + i] } }
        }
    }

    nonisolated(unsafe) let xs = x.data, ws = w.data, y = out.data
    nonisolated(unsafe) let b = bias?.data
    parallelFor(chunks) { chunk in
        let col = UnsafeMutablePointer<Float>.allocate(capacity: ckk * ohw)
        defer { col.deallocate() }
        for s in (n * chunk / chunks)..<(n * (chunk + 1) / chunks) {
            let ys = y + s * o * ohw
            for oc in 0..<o { (ys + oc * ohw).update(repeating: b?[oc] ?? 0, count: ohw) }
            geometry.im2col(image: xs + s * imageSize, col: col)
            sgemmSerial(false, false, o, ohw, ckk, 1, ws, ckk, col, ohw, 1, ys, ohw)
        }
    }
    return out
}

/// The index arithmetic of im2col and its adjoint col2im for one convolution.
struct ConvGeometry: Sendable {
    let c, h, w, kh, kw, oh, ow, stride, padding: Int

    /// The output columns j whose input column j·stride − padding + v lies inside 0..<w:
    /// j in lo..<hi.
    @inline(__always)
    func validColumns(_ v: Int) -> (lo: Int, hi: Int) {
        // j·s − p + v ≥ 0  ⇔  j ≥ ⌈(p − v)/s⌉;   j·s − p + v < w  ⇔  j < ⌈(w + p − v)/s⌉.
        let lo = max(0, (padding - v + stride - 1) / stride)
        let hi = min(ow, max(0, (w + padding - v + stride - 1) / stride))
        return (lo, max(lo, hi))
    }

    /// Writes one image's patches into col[(ci,u,v), i·OW + j]: (C·KH·KW, OH·OW).
    func im2col(image: UnsafePointer<Float>, col: UnsafeMutablePointer<Float>) {
        var r = 0
        for ci in 0..<c {
            for u in 0..<kh {
                for v in 0..<kw {
                    let dst = col + r * oh * ow
                    let (lo, hi) = validColumns(v)
                    for i in 0..<oh {
                        let ih = i * stride - padding + u
                        let row = dst + i * ow
                        if ih < 0 || ih >= h { row.update(repeating: 0, count: ow); continue }
                        let src = image + (ci * h + ih) * w - padding + v
                        if lo > 0 { row.update(repeating: 0, count: lo) }
                        if stride == 1 {
                            if hi > lo { (row + lo).update(from: src + lo, count: hi - lo) }
                        } else {
                            for j in lo..<hi { row[j] = src[j * stride] }
                        }
                        if hi < ow { (row + hi).update(repeating: 0, count: ow - hi) }
                    }
                    r += 1
                }
            }
        }
    }

    /// Adds col's entries back into the image they came from (the adjoint of im2col).
    func col2im(col: UnsafePointer<Float>, image: UnsafeMutablePointer<Float>) {
        var r = 0
        for ci in 0..<c {
            for u in 0..<kh {
                for v in 0..<kw {
                    let src = col + r * oh * ow
                    let (lo, hi) = validColumns(v)
                    for i in 0..<oh {
                        let ih = i * stride - padding + u
                        if ih < 0 || ih >= h { continue }
                        let dst = image + (ci * h + ih) * w - padding + v, row = src + i * ow
                        if stride == 1 {
                            for j in lo..<hi { dst[j] += row[j] }
                        } else {
                            for j in lo..<hi { dst[j * stride] += row[j] }
                        }
                    }
                    r += 1
                }
            }
        }
    }
}
