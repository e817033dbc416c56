import ArgumentParser
import CPosix
import Foundation
import PithFormat
import PithPipeline
import PithTensor

/// The `pith` command: train, evaluate and cross-validate models (and, in later stages,
/// distil, quantize, pack and run them).
@main
struct Pith: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pith",
        abstract: "Make large models small: train, distil, quantize, pack and run them.",
        version: PithVersion.string,
        subcommands: [Demo.self, Pipeline.self, Train.self, Distill.self, Eval.self, CrossValidate.self, Pack.self, Quantize.self, Build.self, Inspect.self, Verify.self, Import.self, Export.self]
    )

    /// ArgumentParser's main, then a check that everything printed reached standard output:
    /// a write that failed (a full disk, a closed descriptor) is an error, not a success.
    static func main() {
        restartWithTunedBLASIfNeeded()
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

    /// When OpenBLAS fell back to its generic kernels on a CPU it does not know
    /// (`blasPreferredCore`), starts this program again with `OPENBLAS_CORETYPE` naming the
    /// family the CPU supports: the choice is made when the library loads. Once set, the
    /// variable is left alone, so this happens at most once; if the restart fails, the run
    /// goes on with the generic kernels.
    static func restartWithTunedBLASIfNeeded() {
        #if os(Linux)
        guard let core = blasPreferredCore else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        #endif
    }
}
