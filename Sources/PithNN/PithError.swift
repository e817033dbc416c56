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

extension PithError {
    /// What is wrong with a JSON document, as one line that names the field:
    /// "field 'config.epochs' is missing", "field 'history[2].epoch' has the wrong type
    /// (expected Int)", or "is not valid JSON". `error` is what `JSONDecoder` threw; the
    /// field is its coding path, keys joined by "." and array positions as "[i]", after
    /// `prefix` when the document sits at that field of a larger one.
    public static func jsonProblem(_ error: any Error, under prefix: String = "") -> String {
        func field(_ path: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            var text = prefix
            for key in path + (last.map { [$0] } ?? []) {
                if let i = key.intValue { text += "[\(i)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return "field '\(text)'"
        }
        guard let error = error as? DecodingError else { return "is not valid JSON" }
        switch error {
        case let .keyNotFound(key, context): return "\(field(context.codingPath, key)) is missing"
        case let .typeMismatch(type, context): return "\(field(context.codingPath)) has the wrong type (expected \(type))"
        case let .valueNotFound(type, context): return "\(field(context.codingPath)) is null (expected \(type))"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty && prefix.isEmpty ? "is not valid JSON" : "\(field(context.codingPath)) has a value that is not allowed (out of range or not a known name)"
        @unknown default: return "is not valid JSON"
        }
    }
}
