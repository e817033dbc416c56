import CPithTrainKernels

/// 2-D max pooling, NCHW, no padding. x: (N, C, H, W) → (N, C, OH, OW),
/// OH = ⌊(H − k)/s⌋ + 1; y[n,c,i,j] = max over the k×k window at (i·s, j·s).
/// Backward: ∂ goes to the window's first maximal element.
public func maxPool2d(_ x: Tensor, kernel k: Int, stride: Int? = nil) -> Tensor {
    let (s, planes, h, w, oh, ow) = poolShape(x, kernel: k, stride: stride, op: "maxPool2d")
    let outCount = planes * oh * ow
    let argmax = UnsafeMutableBufferPointer<Int32>.allocate(capacity: max(outCount, 1))
    let argBox = IndexBox(argmax)
    let out = Tensor(opOutput: [x.shape[0], x.shape[1], oh, ow], parents: [x]) { out in
        // Each output's index lies in its own plane, so planes can be split over threads.
        nonisolated(unsafe) let g = out.grad, gx = x.grad, idx = argBox.buffer.baseAddress!
        parallelRanges(planes, grain: 64) { lo, hi in
            for e in (lo * oh * ow)..<(hi * oh * ow) { gx[Int(idx[e])] += g[e] }
        }
    }
    nonisolated(unsafe) let xs = x.data, ys = out.data
    nonisolated(unsafe) let arg = argBox.buffer.baseAddress!
    parallelRanges(planes, grain: 64) { lo, hi in
        // Flat indices stay relative to x: the kernel adds p·h·w for its own planes.
        pith_maxpool_forward(xs + lo * h * w, ys + lo * oh * ow, arg + lo * oh * ow,
                             hi - lo, h, w, k, s, oh, ow)
        let offset = Int32(lo * h * w)
        if offset != 0 { for e in (lo * oh * ow)..<(hi * oh * ow) { arg[e] += offset } }
    }
    return out
}

/// 2-D average pooling, NCHW, no padding. x: (N, C, H, W) → (N, C, OH, OW),
/// y = mean of the k×k window. Backward: each input of a window gets ∂y / k².
public func avgPool2d(_ x: Tensor, kernel k: Int, stride: Int? = nil) -> Tensor {
    let (s, planes, h, w, oh, ow) = poolShape(x, kernel: k, stride: stride, op: "avgPool2d")
    let inv = 1 / Float(k * k)
    let out = Tensor(opOutput: [x.shape[0], x.shape[1], oh, ow], parents: [x]) { out in
        let g = out.grad, gx = x.grad
        for p in 0..<planes {
            for i in 0..<oh {
                for j in 0..<ow {
                    let d = g[(p * oh + i) * ow + j] * inv
                    for u in 0..<k {
                        let row = gx + p * h * w + (i * s + u) * w + j * s
                        for v in 0..<k { row[v] += d }
                    }
                }
            }
        }
    }
    for p in 0..<planes {
        for i in 0..<oh {
            for j in 0..<ow {
                var total: Float = 0
                for u in 0..<k {
                    let row = x.data + p * h * w + (i * s + u) * w + j * s
                    for v in 0..<k { total += row[v] }
                }
                out.data[(p * oh + i) * ow + j] = total * inv
            }
        }
    }
    return out
}

/// The shape arithmetic of a pooling window over x: (N, C, H, W) with kernel k and
/// stride s (default k): planes = N·C, OH = ⌊(H − k)/s⌋ + 1, OW likewise.
private func poolShape(_ x: Tensor, kernel k: Int, stride: Int?, op: String)
    -> (stride: Int, planes: Int, h: Int, w: Int, oh: Int, ow: Int) {
    let s = stride ?? k
    precondition(x.shape.count == 4 && k >= 1 && s >= 1, "\(op): input \(x.shape), kernel \(k), stride \(s)")
    let h = x.shape[2], w = x.shape[3]
    let oh = convOutputSize(h, kernel: k, stride: s, padding: 0)
    let ow = convOutputSize(w, kernel: k, stride: s, padding: 0)
    precondition(h >= k && w >= k && oh > 0 && ow > 0, "\(op): kernel \(k) larger than input \(h)x\(w)")
    return (s, x.shape[0] * x.shape[1], h, w, oh, ow)
}

/// Owns an index buffer captured by a backward rule.
final class IndexBox: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Int32>
    init(_ b: UnsafeMutableBufferPointer<Int32>) { buffer = b }
    deinit { buffer.deallocate() }
}
