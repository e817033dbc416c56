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

    public var description: String {
        switch self {
        case let .format(e): return e.description
        case let .unsupported(node, problem): return "node '\(node)': not supported: \(problem)"
        case let .invalidGraph(node, problem): return "node '\(node)': \(problem)"
        case let .badInput(problem): return "input: \(problem)"
        case let .overLimit(what, bytes, limit):
            return "the model needs \(bytes == Int.max ? "more than 2^63" : String(bytes)) bytes of \(what), above the runtime's limit of \(limit)"
        }
    }
}
