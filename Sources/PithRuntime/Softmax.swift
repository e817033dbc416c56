import CPithRuntimeKernels

extension Interpreter {
    /// The runtime's softmax — the Softmax op's kernel, `pith_softmax_f32`: e^(x − max) /
    /// Σ e^(x − max) — on one row in place, for a caller that turns a model's logits into
    /// probabilities (pith-run).
    public static func softmax(_ row: inout [Float]) {
        let n = Int32(row.count)
        row.withUnsafeMutableBufferPointer { if let x = $0.baseAddress { pith_softmax_f32(x, n) } }
    }
}
