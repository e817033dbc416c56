import PithFormat

/// What can stop the runtime: a file the format reader refuses, a graph it cannot run,
/// or bad input at run time. Each reads as one line naming the node or field.
public enum RuntimeError: Error, Equatable, Sendable {
    /// The file itself is malformed (see `FormatError`).
    case format(FormatError)
    /// The graph uses something this runtime does not run (an op, a dtype combination).
    case unsupported(node: String, problem: String)
    /// Shapes, dtypes or quantization do not fit together.
    case invalidGraph(node: String, problem: String)
    /// The input given to `run` is wrong (size, batch, a NaN).
    case badInput(String)
    /// The model would need more memory of one kind than `RuntimeLimits` allows (`what`:
    /// "prepared weights" or "activations"; `bytes`: Int.max when the size overflowed).
    case overLimit(what: String, bytes: Int, limit: Int)
    /// A caller-owned arena (`Interpreter(file:arena:…)`) of `bytes` bytes is smaller than
    /// the `needed` bytes the model's plan takes at its address.
    case arenaTooSmall(bytes: Int, needed: Int)

    public var description: String {
        switch self {
        case let .format(e): return e.description
        case let .unsupported(node, problem): return "node '\(node)': not supported: \(problem)"
        case let .invalidGraph(node, problem): return "node '\(node)': \(problem)"
        case let .badInput(problem): return "input: \(problem)"
        case let .overLimit(what, bytes, limit):
            return "the model needs \(bytes == Int.max ? "more than 2^63" : String(bytes)) bytes of \(what), above the runtime's limit of \(limit)"
        case let .arenaTooSmall(bytes, needed):
            return "the caller's arena holds \(bytes) bytes; the model needs \(needed == Int.max ? "more than 2^63" : String(needed)) (Interpreter.requiredArenaBytes gives a size that fits at any address)"
        }
    }
}
