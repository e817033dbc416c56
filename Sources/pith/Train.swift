import ArgumentParser
import Foundation
import PithNN

/// `pith train MODEL -o CHECKPOINT`: trains a model description on a data set.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model and write a checkpoint after every epoch.",
        discussion: "MODEL is a file or a name under models/ (mlp-teacher, cnn-teacher, ...). Checkpoints are written atomically; --resume continues an interrupted run to the same result.")

    @Argument(help: "Model description file, or a name under models/.")
    var model: String

    @Option(name: [.short, .customLong("output")], help: "Checkpoint to write (after every epoch).")
    var output: String

    @Flag(help: "Continue from the checkpoint at --output.")
    var resume = false

    @Option(name: .customLong("models-dir"), help: "Folder of model descriptions.")
    var modelsDirectory = "models"

    @Option(name: .customLong("stop-after"), help: "Stop after this many epochs of this invocation (for testing --resume).")
    var stopAfter: Int?

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var training: TrainingOptions

    func run() throws {
        let splits = try dataOptions.load()
        let trainer: Trainer
        if resume {
            let checkpoint = try Checkpoint(path: output)
            trainer = try Trainer(resuming: checkpoint, path: output, splits: splits)
            print("resuming \(trainer.model.description.name) at epoch \(trainer.epochsDone + 1) of \(trainer.config.epochs)")
        } else {
            let description = try ModelFiles.load(model, modelsDirectory: modelsDirectory)
            try checkWritable(output)
            let config = training.config(model: description, data: dataOptions.data)
            trainer = try Trainer(config: config, description: description, splits: splits)
            print("training \(description.name) (\(description.parameterCount) parameters) on \(splits.train.name): \(splits.train.count) train, \(splits.validation.count) validation samples")
        }
        try runWithProgress(trainer, checkpoint: output, stopAfter: stopAfter)
        if trainer.epochsDone == trainer.config.epochs {
            let test = Evaluation(model: trainer.model, data: splits.test)
            print(String(format: "test accuracy %.2f%% (%d errors of %d), loss %.4f", test.accuracy * 100, test.errors, test.count, test.loss))
        }
        print("checkpoint: \(output)")
    }
}

/// Fails early, before any training, when `path` cannot be created.
func checkWritable(_ path: String) throws(PithError) {
    let folder = (path as NSString).deletingLastPathComponent
    let dir = folder.isEmpty ? "." : folder
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw .cannotWrite(path: path, problem: "folder '\(dir)' does not exist")
    }
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw .cannotWrite(path: path, problem: "is a directory")
    }
    guard FileManager.default.isWritableFile(atPath: dir) else {
        throw .cannotWrite(path: path, problem: "folder '\(dir)' is not writable")
    }
}
