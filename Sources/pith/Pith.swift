import ArgumentParser

/// The `pith` command: train, evaluate and cross-validate models (and, in later stages,
/// distil, quantize, pack and run them).
@main
struct Pith: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pith",
        abstract: "Make large models small: train, distil, quantize, pack and run them.",
        subcommands: [Demo.self, Pipeline.self, Train.self, Distill.self, Eval.self, CrossValidate.self, Pack.self, Quantize.self, Build.self, Inspect.self, Verify.self]
    )
}
