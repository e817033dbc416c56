import CPithRuntimeKernels

extension Interpreter {
    /// The integer sequence steps (the LSTM and the Transformer's ops) on `batch` samples.
    func sequenceStep(_ step: Step, batch: Int) {
        switch step {
        case let .quantizedLSTM(s):
            var p = s.parameters
            pith_q_lstm_run(&p, buffer(s.input).assumingMemoryBound(to: UInt8.self), buffer(s.output).assumingMemoryBound(to: UInt8.self),
                            Int32(batch), scratch, PITH_Q8_AUTO)
        case let .quantizedLayerNorm(s):
            var p = s.parameters
            pith_q_layernorm_u8(&p, buffer(s.input).assumingMemoryBound(to: UInt8.self), s.rows * batch,
                                buffer(s.output).assumingMemoryBound(to: UInt8.self))
        case let .quantizedAttention(s):
            var p = s.parameters
            pith_q_attention_u8(&p, buffer(s.q).assumingMemoryBound(to: UInt8.self), buffer(s.k).assumingMemoryBound(to: UInt8.self),
                                buffer(s.v).assumingMemoryBound(to: UInt8.self), batch, buffer(s.output).assumingMemoryBound(to: UInt8.self), scratch)
        case let .quantizedAdd(s):
            var p = s.parameters
            pith_q_add_u8(&p, buffer(s.a).assumingMemoryBound(to: UInt8.self), buffer(s.b).assumingMemoryBound(to: UInt8.self),
                          layouts[s.a].elements * batch, buffer(s.output).assumingMemoryBound(to: UInt8.self))
        case let .quantizedMeanTokens(s):
            pith_q_mean_tokens_u8(buffer(s.input).assumingMemoryBound(to: UInt8.self), batch, Int32(s.tokens), Int32(s.width), s.inputZero,
                                  s.ratio, s.outputZero, buffer(s.output).assumingMemoryBound(to: UInt8.self))
        case let .lookup(s):
            pith_q_lookup_u8(buffer(s.input).assumingMemoryBound(to: UInt8.self), layouts[s.input].elements * batch, s.table,
                             buffer(s.output).assumingMemoryBound(to: UInt8.self))
        default: preconditionFailure("not a sequence step")
        }
    }
}
