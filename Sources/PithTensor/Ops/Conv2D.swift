/// Output size of a convolution or pooling window along one axis:
/// ⌊(size + 2·padding − kernel) / stride⌋ + 1.
public func convOutputSize(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
    (size + 2 * padding - kernel) / stride + 1
}

/// 2-D convolution (cross-correlation, as in every framework), NCHW.
/// x: (N, C, H, W), w: (O, C, KH, KW), bias: (O) → y: (N, O, OH, OW),
/// y[n,o,i,j] = bias[o] + Σ_{c,u,v} w[o,c,u,v] · x[n, c, i·s − p + u, j·s − p + v] (zero outside).
///
/// Lowered to one GEMM over the whole batch: col (C·KH·KW, N·OH·OW) by im2col, then
/// Y' (O, N·OH·OW) = W (O, C·KH·KW) · col. Backward: ∂W = ∂Y' · colᵀ, ∂col = Wᵀ · ∂Y'
/// folded back by col2im, ∂bias = Σ ∂Y'.
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
    let ckk = c * kh * kw, ohw = oh * ow, cols = n * ohw
    let geometry = ConvGeometry(c: c, h: h, w: wd, kh: kh, kw: kw, oh: oh, ow: ow,
                                stride: stride, padding: padding, cols: cols)

    // col: (C·KH·KW, N·OH·OW), kept for the backward pass.
    let col = UnsafeMutablePointer<Float>.allocate(capacity: max(ckk * cols, 1))
    let colBox = BufferBox(col)
    nonisolated(unsafe) let xData = x.data
    parallelFor(n) { s in geometry.im2col(image: xData + s * c * h * wd, sample: s, col: col) }

    let parents = bias.map { [x, w, $0] } ?? [x, w]
    let out = Tensor(opOutput: [n, o, oh, ow], parents: parents) { out in
        let col = colBox.pointer
        // ∂Y' (O, N·OH·OW) gathered from ∂y (N, O, OH·OW).
        let dy2 = UnsafeMutablePointer<Float>.allocate(capacity: max(o * cols, 1))
        defer { dy2.deallocate() }
        nonisolated(unsafe) let g = out.grad
        parallelFor(n) { s in
            for oc in 0..<o { (dy2 + oc * cols + s * ohw).update(from: g + (s * o + oc) * ohw, count: ohw) }
        }
        if w.requiresGrad {
            sgemm(transB: true, m: o, n: ckk, k: cols, a: dy2, lda: cols, b: col, ldb: cols,
                  beta: 1, c: w.grad, ldc: ckk)
        }
        if let bias, bias.requiresGrad {
            let db = bias.grad
            for oc in 0..<o {
                var s: Float = 0
                let row = dy2 + oc * cols
                for j in 0..<cols { s += row[j] }
                db[oc] += s
            }
        }
        if x.requiresGrad {
            let dcol = UnsafeMutablePointer<Float>.allocate(capacity: max(ckk * cols, 1))
            defer { dcol.deallocate() }
            sgemm(transA: true, m: ckk, n: cols, k: o, a: w.data, lda: ckk, b: dy2, ldb: cols,
                  c: dcol, ldc: cols)
            nonisolated(unsafe) let gx = x.grad
            parallelFor(n) { s in geometry.col2im(col: dcol, sample: s, image: gx + s * c * h * wd) }
        }
    }

    // Y' (O, N·OH·OW) = W · col, then scattered to NCHW with the bias added.
    let y2 = UnsafeMutablePointer<Float>.allocate(capacity: max(o * cols, 1))
    defer { y2.deallocate() }
    sgemm(m: o, n: cols, k: ckk, a: w.data, lda: ckk, b: col, ldb: cols, c: y2, ldc: cols)
    nonisolated(unsafe) let y = out.data
    nonisolated(unsafe) let b = bias?.data
    parallelFor(n) { s in
        for oc in 0..<o {
            let dst = y + (s * o + oc) * ohw, src = y2 + oc * cols + s * ohw
            let add = b?[oc] ?? 0
            for j in 0..<ohw { dst[j] = src[j] + add }
        }
    }
    if !out.requiresGrad { colBox.free() }
    return out
}

/// Owns a buffer captured by a backward rule; freed with the graph.
final class BufferBox: @unchecked Sendable {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private var owned = true
    init(_ p: UnsafeMutablePointer<Float>) { pointer = p }
    func free() { if owned { pointer.deallocate(); owned = false } }
    deinit { free() }
}

/// The index arithmetic of im2col and its adjoint col2im for one convolution.
struct ConvGeometry: Sendable {
    let c, h, w, kh, kw, oh, ow, stride, padding, cols: Int

    /// Writes sample `sample`'s patches into col[(ci,u,v), sample·OH·OW + i·OW + j].
    func im2col(image: UnsafePointer<Float>, sample: Int, col: UnsafeMutablePointer<Float>) {
        var r = 0
        for ci in 0..<c {
            for u in 0..<kh {
                for v in 0..<kw {
                    let dst = col + r * cols + sample * oh * ow
                    for i in 0..<oh {
                        let ih = i * stride - padding + u
                        let row = dst + i * ow
                        if ih < 0 || ih >= h { row.update(repeating: 0, count: ow); continue }
                        let src = image + (ci * h + ih) * w
                        for j in 0..<ow {
                            let iw = j * stride - padding + v
                            row[j] = (iw >= 0 && iw < w) ? src[iw] : 0
                        }
                    }
                    r += 1
                }
            }
        }
    }

    /// Adds col's entries for sample `sample` back into the image they came from.
    func col2im(col: UnsafePointer<Float>, sample: Int, image: UnsafeMutablePointer<Float>) {
        var r = 0
        for ci in 0..<c {
            for u in 0..<kh {
                for v in 0..<kw {
                    let src = col + r * cols + sample * oh * ow
                    for i in 0..<oh {
                        let ih = i * stride - padding + u
                        if ih < 0 || ih >= h { continue }
                        let dst = image + (ci * h + ih) * w, row = src + i * ow
                        for j in 0..<ow {
                            let iw = j * stride - padding + v
                            if iw >= 0 && iw < w { dst[iw] += row[j] }
                        }
                    }
                    r += 1
                }
            }
        }
    }
}
