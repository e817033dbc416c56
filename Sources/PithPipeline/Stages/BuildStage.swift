import Foundation
import PithFormat
import PithNN
import PithRuntime

/// The build stage: a standalone executable — the runner (`pith-run`) with the model
/// appended and a trailer that points at it (`StandaloneTrailer`). It needs no other file
/// at run time.
public enum BuildStage {
    public struct Outcome {
        public var bytes: Int
        public var runner: String
        public var runnerBytes: Int
        public var modelBytes: Int
    }

    /// The runner: the Embedded Swift one of tools/build-runner (.build-embedded/runner) first,
    /// then one with the Swift runtime linked in (.build-static), then pith-run beside this program.
    public static func defaultRunner() -> String {
        let me = thisProgram()
        let folder = (me as NSString).deletingLastPathComponent
        let configuration = (folder as NSString).lastPathComponent  // release or debug
        let root = packageRoot()
        let candidates = [
            "\(root)/.build-embedded/runner/pith-run",
            "\(root)/.build-static/\(configuration)/pith-run",
            "\(folder)/pith-run",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "\(folder)/pith-run"
    }

    /// This program's path.
    static func thisProgram() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The package root: the folder that holds this program's .build folder ("." when it is
    /// not run from one).
    public static func packageRoot() -> String {
        let me = thisProgram()
        return me.range(of: "/.build/").map { String(me[..<$0.lowerBound]) } ?? "."
    }

    /// The runner for another machine that tools/build-runner makes
    /// (`--target aarch64-linux`: .build-embedded/runner-aarch64-linux/pith-run).
    public static let crossTargets = ["aarch64-linux"]
    public static func crossRunner(_ target: String) -> String {
        "\(packageRoot())/.build-embedded/runner-\(target)/pith-run"
    }

    /// Writes the executable (atomically, mode 755) from the model at `model` and `runner`
    /// (default: `defaultRunner()`). `target`: a cross target's runner, which has no zstd
    /// decoder, so a compressed model is refused.
    public static func run(model: String, output: String, runner: String?, target: String? = nil) throws -> Outcome {
        let rawOnly = target != nil
        let runnerPath = runner ?? defaultRunner()
        try OutputPath.refuseSameFile("build", outputs: [.init("-o", output)], inputs: [.init("the model", model), .init("the runner", runnerPath)])
        let file = try FormatFiles.open(model)
        if rawOnly { try FormatFiles.requireRaw(file, path: model, reader: "this runner") }
        do { _ = try Interpreter(file: file) } catch { throw PithError.badFile(path: model, problem: "the runtime cannot run it: \(error.description)") }
        let modelBytes = try FileBytes.read(model, limit: FileBytes.Limit.pithFile)
        guard FileManager.default.isExecutableFile(atPath: runnerPath) else {
            let how = target.map { "tools/build-runner --target \($0)" } ?? "swift build -c release --product pith-run"
            throw PithError.badFile(path: runnerPath, problem: "no runner executable here; build it with '\(how)' or pass --runner")
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
        return Outcome(bytes: out.count, runner: runnerPath, runnerBytes: runnerBytes.count, modelBytes: modelBytes.count)
    }
}
