/// Every failure the toolchain reports to a user: one line that names the file (or the
/// option) and what is wrong with it.
public enum PithError: Error, CustomStringConvertible, Equatable {
    /// A file could not be read, or its contents are malformed.
    case badFile(path: String, problem: String)
    /// An output could not be written; nothing was left half-written.
    case cannotWrite(path: String, problem: String)
    /// A command-line value or combination is invalid.
    case badOption(name: String, problem: String)
    /// A model, data set or checkpoint does not fit with another.
    case mismatch(String)
    /// Training produced a non-finite loss; the last good checkpoint was kept.
    case nonFiniteLoss(epoch: Int, batch: Int, keptCheckpoint: String?)

    public var description: String {
        switch self {
        case let .badFile(path, problem): return "\(path): \(problem)"
        case let .cannotWrite(path, problem): return "\(path): cannot write: \(problem)"
        case let .badOption(name, problem): return "option \(name): \(problem)"
        case let .mismatch(text): return text
        case let .nonFiniteLoss(epoch, batch, kept):
            let keep = kept.map { "; the last good checkpoint is kept at \($0)" } ?? "; no checkpoint was written"
            return "training stopped: the loss became NaN or infinite at epoch \(epoch), batch \(batch)\(keep)"
        }
    }
}
