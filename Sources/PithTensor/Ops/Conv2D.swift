import CPithTrainKernels

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
                if needBias { pith_row_sums_add(dy, o, ohw, dB) }
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

/// One convolution's geometry, handed to the C im2col/col2im kernels.
struct ConvGeometry: @unchecked Sendable {
    var raw: pith_conv_geometry

    init(c: Int, h: Int, w: Int, kh: Int, kw: Int, oh: Int, ow: Int, stride: Int, padding: Int) {
        raw = pith_conv_geometry(c: c, h: h, w: w, kh: kh, kw: kw, oh: oh, ow: ow, stride: stride, padding: padding)
    }

    /// One image (C, H, W) → its patches col (C·KH·KW, OH·OW).
    func im2col(image: UnsafePointer<Float>, col: UnsafeMutablePointer<Float>) {
        var g = raw
        pith_im2col(image, col, &g)
    }

    /// The adjoint: adds col's entries back into the image they came from.
    func col2im(col: UnsafePointer<Float>, image: UnsafeMutablePointer<Float>) {
        var g = raw
        pith_col2im(col, image, &g)
    }
}
