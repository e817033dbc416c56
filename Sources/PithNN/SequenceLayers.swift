import PithTensor

/// An LSTM layer (`lstm` in a model description; the op is PithTensor's `lstm`).
/// inputWeight (4H, F), recurrentWeight (4H, H), bias (4H): gates [i | f | g | o].
public struct LSTMLayer {
    public var inputWeight: Tensor
    public var recurrentWeight: Tensor
    public var bias: Tensor
    public let returnSequence: Bool

    /// PyTorch's default initialisation: every value ~ U(−1/√H, 1/√H).
    public init(inputs: Int, hidden: Int, returnSequence: Bool, rng: inout PithRandom) {
        let bound = 1 / Float(hidden).squareRoot()
        inputWeight = uniformTensor([4 * hidden, inputs], bound: bound, rng: &rng)
        recurrentWeight = uniformTensor([4 * hidden, hidden], bound: bound, rng: &rng)
        bias = uniformTensor([4 * hidden], bound: bound, rng: &rng)
        self.returnSequence = returnSequence
    }

    /// x: (B, T, F) → (B, H) or (B, T, H).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        lstm(x, inputWeight: inputWeight, recurrentWeight: recurrentWeight, bias: bias, returnSequence: returnSequence)
    }
}

/// A learned position embedding (`position`): table P (T, D), x (B, T, D) → x + P.
public struct PositionEmbedding {
    public var table: Tensor

    /// P ~ N(0, 0.02²), as BERT and GPT initialise theirs.
    public init(steps: Int, width: Int, rng: inout PithRandom) {
        table = Tensor(zeros: [steps, width], requiresGrad: true)
        for i in 0..<table.count { table.data[i] = rng.nextNormal() * 0.02 }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { add(x, table) }
}

/// LayerNorm over the last axis (`layernorm`): gamma γ, beta β (D), initialised 1 and 0.
public struct LayerNormLayer {
    public var gamma: Tensor
    public var beta: Tensor

    public init(width: Int) {
        gamma = Tensor([Float](repeating: 1, count: width), shape: [width], requiresGrad: true)
        beta = Tensor(zeros: [width], requiresGrad: true)
    }

    /// x: (…, D) → (…, D).
    public func callAsFunction(_ x: Tensor) -> Tensor { layerNorm(x, gamma: gamma, beta: beta) }
}

/// A pre-norm Transformer encoder block (`transformer-block heads H ff F`), as PyTorch's
/// `nn.TransformerEncoderLayer(D, H, F, dropout=0, activation="gelu", norm_first=True,
/// batch_first=True)`. x: (B, T, D) →
///
///     a = x + W_o · attention(W_qkv · LN₁(x) + b_qkv) + b_o
///     y = a + W₂ · GELU(W₁ · LN₂(a) + b₁) + b₂
///
/// Parameters in order: LN₁ γ, β (D); W_qkv (3D, D), b_qkv (3D); W_o (D, D), b_o (D);
/// LN₂ γ, β (D); W₁ (F, D), b₁ (F); W₂ (D, F), b₂ (D).
public struct TransformerBlock {
    public var norm1: LayerNormLayer
    public var inProjection: Dense
    public var outProjection: Dense
    public var norm2: LayerNormLayer
    public var linear1: Dense
    public var linear2: Dense
    public let heads: Int

    /// PyTorch's initialisation: W_qkv Xavier-uniform (bound √(6/(D + 3D))), b_qkv and b_o
    /// zero, W_o, W₁, b₁, W₂, b₂ as a Dense layer's.
    public init(width d: Int, heads: Int, feedForward ff: Int, rng: inout PithRandom) {
        self.heads = heads
        norm1 = LayerNormLayer(width: d)
        inProjection = Dense(inputs: d, outputs: 3 * d, rng: &rng)
        let xavier = (6 / Float(4 * d)).squareRoot()
        for i in 0..<inProjection.weight.count { inProjection.weight.data[i] = (rng.nextFloat() * 2 - 1) * xavier }
        inProjection.bias.data.update(repeating: 0, count: 3 * d)
        outProjection = Dense(inputs: d, outputs: d, rng: &rng)
        outProjection.bias.data.update(repeating: 0, count: d)
        norm2 = LayerNormLayer(width: d)
        linear1 = Dense(inputs: d, outputs: ff, rng: &rng)
        linear2 = Dense(inputs: ff, outputs: d, rng: &rng)
    }

    public var parameters: [Tensor] {
        [norm1.gamma, norm1.beta, inProjection.weight, inProjection.bias, outProjection.weight, outProjection.bias,
         norm2.gamma, norm2.beta, linear1.weight, linear1.bias, linear2.weight, linear2.bias]
    }

    /// The block as its integer graph computes it, for quantization-aware training: the
    /// weights fake-quantized per row, and every inner value (`TransformerPoints`, all but
    /// the output, which the model quantizes after the block) through `fq` from point
    /// `base` on, the attention's probabilities rounded to 1/255 as the integer softmax's
    /// are. The residual adds are values of their own here.
    func quantizationAware(_ x: Tensor, fq: FakeQuantization, base: Int, observe: Bool) -> Tensor {
        func q(_ t: Tensor, _ p: TransformerPoints) -> Tensor { fq.apply(t, point: base + p.rawValue, observe: observe) }
        func dense(_ d: Dense, _ t: Tensor) -> Tensor { tokenwise(d, t, weight: fakeQuantizePerChannel(d.weight)) }
        let n1 = q(norm1(x), .norm1)
        let qkv = fq.apply(dense(inProjection, n1), blocks: [TransformerPoints.query, .key, .value].map { base + $0.rawValue }, observe: observe)
        let projected = q(dense(outProjection, q(attention(qkv, heads: heads, probabilityLevels: 255), .attention)), .projection)
        let a = q(add(x, projected), .residual1)
        let g = q(gelu(q(dense(linear1, q(norm2(a), .norm2)), .hidden)), .gelu)
        return add(a, q(dense(linear2, g), .output))
    }

    /// x: (B, T, D) → (B, T, D).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        let qkv = tokenwise(inProjection, norm1(x))
        let a = tokenwise(outProjection, attention(qkv, heads: heads), residual: x)
        return tokenwise(linear2, gelu(tokenwise(linear1, norm2(a))), residual: a)
    }
}

/// A Dense layer applied to every token: (B, T, F) → (B, T, units), as one GEMM over
/// the B·T rows (views, no copies); a flat (B, F) input goes straight through.
/// `residual` (the output's shape) is added in the same pass (`linear`).
func tokenwise(_ dense: Dense, _ x: Tensor, weight: Tensor? = nil, residual: Tensor? = nil) -> Tensor {
    let w = weight ?? dense.weight
    guard x.shape.count == 3 else { return linear(x, w, dense.bias, residual: residual) }
    let (b, t, f) = (x.shape[0], x.shape[1], x.shape[2])
    let y = linear(reshape(x, [b * t, f]), w, dense.bias, residual: residual)
    return reshape(y, [b, t, w.shape[0]])
}
