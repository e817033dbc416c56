import ArgumentParser
import Foundation
import PithFormat
import PithNN

/// `pith demo`: the pipeline on the built-in digits set. For now: train a teacher and
/// report its test accuracy.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the pipeline on the built-in digits data set.")

    @Option(name: .customLong("models-dir"), help: "Folder of model descriptions.")
    var modelsDirectory = "models"

    @Option(help: "Folder for the demo's outputs.")
    var output = "runs/demo"

    @Option(help: "Threads for BLAS and Pith's own loops.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var options = try DataOptions.parse(["--threads", String(max(1, threads))])
        options.data = "digits"
        let splits = try options.load()
        let description = try ModelFiles.load("digits-teacher", modelsDirectory: modelsDirectory)
        var training = try TrainingOptions.parse([])
        training.epochs = 40
        training.batchSize = 32
        let config = training.config(model: description, data: "digits")
        print("pith demo: training \(description.name) (\(description.parameterCount) parameters) on the UCI digits set (\(splits.train.count) train, \(splits.validation.count) validation, \(splits.test.count) test)")
        let trainer = try Trainer(config: config, description: description, splits: splits)
        let checkpoint = output + "/teacher.ckpt"
        try runWithProgress(trainer, checkpoint: checkpoint)
        let test = Evaluation(model: trainer.model, data: splits.test)
        print(String(format: "teacher test accuracy: %.2f%% (%d errors of %d)", test.accuracy * 100, test.errors, test.count))
        print("checkpoint: \(checkpoint)")
        let packedPath = output + "/teacher.pith"
        let (packed, accuracy) = try Pack.write(checkpoint: checkpoint, ckpt: try Checkpoint(path: checkpoint), output: packedPath, weights: .int8,
                                                dataName: "digits", splits: splits, options: WriteOptions())
        let floatBytes = trainer.model.parameters.reduce(0) { $0 + $1.count * 4 }
        print("packed: \(packedPath), \(packed.header.fileSize) bytes (int8 weights, zstd; float32 weights alone are \(floatBytes) bytes)"
              + (accuracy.map { ", validation accuracy float \(percent($0.float)), int8 weights \(percent($0.stored))" } ?? ""))
    }
}
