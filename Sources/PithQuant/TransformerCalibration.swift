import PithNN
import PithTensor

/// The float values at a Transformer block's quantization points (`TransformerPoints`), for
/// calibration: the block's computation step by step, as its integer graph splits it.
enum TransformerCalibration {
    /// x (B, T, D) → the twelve values, each (B·T, width) but the last, y (B, T, D).
    static func values(_ block: TransformerBlock, _ x: Tensor) -> [Tensor] {
        let (batch, steps, d) = (x.shape[0], x.shape[1], x.shape[2])
        let rows = batch * steps
        let flat = reshape(x, [rows, d])
        let n1 = layerNorm(flat, gamma: block.norm1.gamma, beta: block.norm1.beta)
        let qkv = linear(n1, block.inProjection.weight, block.inProjection.bias)
        func columns(_ part: Int) -> Tensor {
            let t = Tensor(zeros: [rows, d])
            for r in 0..<rows { (t.data + r * d).update(from: qkv.data + r * 3 * d + part * d, count: d) }
            return t
        }
        let attended = reshape(attention(reshape(qkv, [batch, steps, 3 * d]), heads: block.heads), [rows, d])
        let projected = linear(attended, block.outProjection.weight, block.outProjection.bias)
        let a = add(flat, projected)
        let n2 = layerNorm(a, gamma: block.norm2.gamma, beta: block.norm2.beta)
        let hidden = linear(n2, block.linear1.weight, block.linear1.bias)
        let g = gelu(hidden)
        let f = linear(g, block.linear2.weight, block.linear2.bias)
        let y = add(a, f)
        return [n1, columns(0), columns(1), columns(2), attended, projected, a, n2, hidden, g, f, reshape(y, [batch, steps, d])]
    }
}
