import ArgumentParser
import PithPipeline
import Foundation
import PithRuntime

/// `pith pipeline RECIPE`: the stages of a recipe (`models/NAME.recipe`) into one folder —
/// teacher checkpoint, distilled student, int8 `.pith` file, standalone executable, its run
/// on the test split, `report.html` — with `manifest.json` recording every artifact's hash
/// and the figures measured. Stages whose inputs have not changed are skipped; a training
/// stage that was interrupted resumes from its last checkpoint.
struct Pipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a recipe: train, distil, quantize, build and run, with a manifest and a report.",
        discussion: """
            RECIPE is a file or a name under models/ (mnist-mlp, mnist-cnn, mnist-attn, digits). Outputs go to --output (default runs/NAME): teacher.ckpt, student.ckpt, model.pith, classifier, manifest.json, report.html.
            A stage runs again only when its inputs changed (its options, the files it reads, the data); --force runs every stage. An interrupted training stage resumes from its checkpoint.
            """)

    @Argument(help: "Recipe file, or a name under models/.")
    var recipe: String

    @Option(name: .shortAndLong, help: "Output folder (default: runs/RECIPE-NAME).")
    var output: String?

    @Option(name: .customLong("models-dir"), help: "Folder of model descriptions and recipes.")
    var modelsDirectory = "models"

    @Option(name: .customLong("mnist-dir"), help: "Folder holding the MNIST IDX files (overrides the recipe's).")
    var mnistDirectory: String?

    @Option(help: "Threads for BLAS and Pith's own loops (1 to 256; default: the processors', at most 256).")
    var threads: Int = min(ProcessInfo.processInfo.activeProcessorCount, DataOptions.maxThreads)

    @Option(help: "The runner for the standalone executable (default as for 'pith build').")
    var runner: String?

    @Flag(help: "Run every stage, even those whose inputs have not changed.")
    var force = false

    @Option(name: .customLong("stop-after"), help: .hidden)
    var stopAfter: Int?

    func validate() throws {
        try DataOptions.validate(threads: threads)
        if let stopAfter, stopAfter < 1 { throw ValidationError("--stop-after must be at least 1 (epochs)") }
    }

    func run() throws {
        let recipe = try Recipe(self.recipe, modelsDirectory: modelsDirectory)
        let run = try PipelineRun(recipe: recipe, output: output ?? "runs/\(recipe.name)", modelsDirectory: modelsDirectory,
                                  mnistDirectory: mnistDirectory, threads: threads, runner: runner, force: force, stopAfter: stopAfter)
        guard try run.execute() else {
            print("stopped (--stop-after); run the same command again to resume")
            return
        }
        print("")
        print(run.table())
        print("\nmanifest: \(run.manifestPath)\nreport: \(run.output)/report.html")
    }
}
