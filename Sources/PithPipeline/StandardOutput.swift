import CPosix
import Foundation

/// Whether what `print` wrote reached standard output: stdout flushed, and its error
/// flag, which stays set after any earlier write that failed (CPosix's pith_stdout_failed).
public enum StandardOutput {
    /// errno of the first flush that failed.
    nonisolated(unsafe) public static var failure: Int32?

    /// Flushes; errno when that or an earlier write failed (also kept in `failure`), else nil.
    @discardableResult
    public static func flush() -> Int32? {
        guard pith_stdout_failed() != 0 else { return nil }
        let code = errno != 0 ? errno : EIO
        failure = failure ?? code
        return code
    }
}
