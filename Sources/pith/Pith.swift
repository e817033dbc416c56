import ArgumentParser
import CPosix
import Foundation

/// The `pith` command: train, evaluate and cross-validate models (and, in later stages,
/// distil, quantize, pack and run them).
@main
struct Pith: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pith",
        abstract: "Make large models small: train, distil, quantize, pack and run them.",
        subcommands: [Demo.self, Pipeline.self, Train.self, Distill.self, Eval.self, CrossValidate.self, Pack.self, Quantize.self, Build.self, Inspect.self, Verify.self]
    )

    /// ArgumentParser's main, then a check that everything printed reached standard output:
    /// a write that failed (a full disk, a closed descriptor) is an error, not a success.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            guard exitCode(for: error) == .success else { exit(withError: error) }
            print(fullMessage(for: error))  // --help, --version
        }
        if let code = StandardOutput.flush() ?? StandardOutput.failure {
            FileHandle.standardError.write(Data("pith: cannot write the output: \(String(cString: strerror(code)))\n".utf8))
            Foundation.exit(74)  // EX_IOERR
        }
    }
}

/// Whether what `print` wrote reached standard output: stdout flushed, and its error
/// flag, which stays set after any earlier write that failed (CPosix's pith_stdout_failed).
enum StandardOutput {
    /// errno of the first flush that failed.
    nonisolated(unsafe) static var failure: Int32?

    /// Flushes; errno when that or an earlier write failed (also kept in `failure`), else nil.
    @discardableResult
    static func flush() -> Int32? {
        guard pith_stdout_failed() != 0 else { return nil }
        let code = errno != 0 ? errno : EIO
        failure = failure ?? code
        return code
    }
}
