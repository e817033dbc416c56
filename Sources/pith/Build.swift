import ArgumentParser
import Foundation
import PithPipeline

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

    /// A thin adapter over `BuildStage.run`.
    func run() throws {
        let b = try BuildStage.run(model: model, output: output, runner: runner)
        print("wrote \(output): \(b.bytes) bytes (runner \(b.runner): \(b.runnerBytes) bytes, model \(b.modelBytes) bytes)")
    }
}
