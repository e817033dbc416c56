import ArgumentParser
import PithPipeline
import Foundation

/// `pith demo`: the whole pipeline on the built-in digits set (`models/digits.recipe`) —
/// train a teacher, distil a student, quantize it to an int8 `.pith` file, build a
/// standalone executable with the model inside, run that executable on the test split —
/// and one table: test accuracy, size and latency per image at every stage.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the whole pipeline on the built-in digits data set.")

    @Option(name: .customLong("models-dir"), help: "Folder of model descriptions.")
    var modelsDirectory = "models"

    @Option(help: "Folder for the demo's outputs.")
    var output = "runs/demo"

    @Option(help: "Threads for BLAS and Pith's own loops (1 to 256; default: the processors', at most 256).")
    var threads: Int = min(ProcessInfo.processInfo.activeProcessorCount, DataOptions.maxThreads)

    func validate() throws {
        try DataOptions.validate(threads: threads)
    }

    /// The digits recipe (models/digits.recipe) through `pith pipeline`, every stage run afresh.
    func run() throws {
        let started = Date()
        let recipe = try Recipe("digits", modelsDirectory: modelsDirectory)
        let run = try PipelineRun(recipe: recipe, output: output, modelsDirectory: modelsDirectory, mnistDirectory: nil,
                                  threads: threads, runner: nil, force: true, stopAfter: nil)
        print("pith demo: the built-in UCI digits (8x8 images): teacher → distilled student → int8 .pith → standalone executable")
        _ = try run.execute()
        print("")
        print(run.table())
        print(String(format: "\nfinished in %.1f s; outputs, manifest.json and report.html in %@", Date().timeIntervalSince(started), output))
    }
}
