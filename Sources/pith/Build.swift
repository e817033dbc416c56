import ArgumentParser
import Foundation
import PithFormat
import PithNN
import PithRuntime

/// `pith build model.pith -o classifier`: a standalone executable — the runner
/// (`pith-run`) with the model appended and a trailer that points at it (see
/// Sources/pith-run/EmbeddedModel.swift). It needs no other file at run time.
struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a standalone executable with the model inside.",
        discussion: "The result is the runner with the .pith file appended: 'classifier INPUT [--labels FILE] [--json] [--bench]'. tools/build-runner builds the default runner: pith-run as Embedded Swift, under 1 MB, needing only the C library.")

    @Argument(help: "The .pith model to embed.")
    var model: String

    @Option(name: .shortAndLong, help: "The executable to write.")
    var output: String

    @Option(help: "The runner to embed the model in (default: the Embedded Swift runner of tools/build-runner if built, else pith-run beside this program).")
    var runner: String?

    /// The runner: the Embedded Swift one of tools/build-runner (.build-embedded/runner) first,
    /// then one with the Swift runtime linked in (.build-static), then pith-run beside this `pith`.
    static func defaultRunner() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let folder = (me as NSString).deletingLastPathComponent
        let configuration = (folder as NSString).lastPathComponent  // release or debug
        // The package root: the folder that holds this program's .build folder.
        let root = me.range(of: "/.build/").map { String(me[..<$0.lowerBound]) } ?? "."
        let candidates = [
            "\(root)/.build-embedded/runner/pith-run",
            "\(root)/.build-static/\(configuration)/pith-run",
            "\(folder)/pith-run",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "\(folder)/pith-run"
    }

    func run() throws {
        let (size, runnerPath, runnerSize, modelSize) = try Self.make(model: model, output: output, runner: runner)
        print("wrote \(output): \(size) bytes (runner \(runnerPath): \(runnerSize) bytes, model \(modelSize) bytes)")
    }

    /// Writes the executable; returns its size, the runner used and the two parts' sizes.
    static func make(model: String, output: String, runner: String?) throws -> (Int, String, Int, Int) {
        let runnerPath = runner ?? defaultRunner()
        try OutputPath.refuseSameFile("build", outputs: [.init("-o", output)], inputs: [.init("the model", model), .init("the runner", runnerPath)])
        let file = try FormatFiles.open(model)
        do { _ = try Interpreter(file: file) } catch { throw PithError.badFile(path: model, problem: "the runtime cannot run it: \(error.description)") }
        let modelBytes = try FileBytes.read(model, limit: FileBytes.Limit.pithFile)
        guard FileManager.default.isExecutableFile(atPath: runnerPath) else {
            throw PithError.badFile(path: runnerPath, problem: "no runner executable here; build it with 'swift build -c release --product pith-run' or pass --runner")
        }
        let runnerBytes = try FileBytes.read(runnerPath, limit: FileBytes.Limit.executable)
        if runnerBytes.count >= StandaloneTrailer.byteSize, StandaloneTrailer.decode(Array(runnerBytes.suffix(StandaloneTrailer.byteSize))) != nil {
            throw PithError.badFile(path: runnerPath, problem: "already carries a model; use the plain runner")
        }
        try checkWritable(output)
        var out = runnerBytes
        out.reserveCapacity(runnerBytes.count + modelBytes.count + StandaloneTrailer.byteSize)
        out += modelBytes
        out += StandaloneTrailer.encode(offset: runnerBytes.count, length: modelBytes.count)
        try AtomicFile.write(out, to: output, mode: 0o755)
        return (out.count, runnerPath, runnerBytes.count, modelBytes.count)
    }
}
