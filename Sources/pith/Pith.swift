import ArgumentParser
import CPosix
import Foundation
import PithFormat
import PithPipeline

/// The `pith` command: train, evaluate and cross-validate models (and, in later stages,
/// distil, quantize, pack and run them).
@main
struct Pith: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pith",
        abstract: "Make large models small: train, distil, quantize, pack and run them.",
        version: PithVersion.string,
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
