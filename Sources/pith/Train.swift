import ArgumentParser
import Foundation
import PithFormat
import PithNN
import PithQuant

/// `pith train MODEL -o CHECKPOINT`: trains a model description on a data set.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model and write a checkpoint after every epoch.",
        discussion: """
            MODEL is a file or a name under models/ (mlp-teacher, cnn-teacher, ...). Checkpoints are written atomically; --resume continues an interrupted run to the same result.
            --qat trains quantization-aware: weights and activations pass through the int8 grid the exported model uses (straight-through gradients, activation ranges tracked by moving averages); 'pith quantize' then exports exactly that integer model. --from CHECKPOINT starts from trained weights instead of MODEL (fine-tuning, e.g. a few epochs of --qat at a lower --lr).
            """)

    @Argument(help: "Model description file, or a name under models/ (not with --from; ignored with --resume).")
    var model: String?

    @OptionGroup var runOptions: RunOptions

    @Option(help: "Start from this checkpoint's weights (fine-tuning) instead of a fresh initialisation of MODEL.")
    var from: String?

    @Flag(help: "Train quantization-aware (fake quantization, straight-through estimator).")
    var qat = false

    @Option(name: .customLong("qat-momentum"), help: "Weight of each new batch in the tracked activation ranges.")
    var qatMomentum: Float = 0.01

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var training: TrainingOptions

    func validate() throws {
        // --resume takes the model from the checkpoint (MODEL may stay on the command line).
        guard (from != nil ? 1 : 0) + (runOptions.resume ? 1 : 0) <= 1, from == nil || model == nil, model != nil || from != nil || runOptions.resume else {
            throw ValidationError("give exactly one of MODEL, --from CHECKPOINT or --resume")
        }
        guard qatMomentum > 0 && qatMomentum <= 1 else { throw ValidationError("--qat-momentum must be in (0, 1]") }
    }

    func run() throws {
        try refuseOutputOnInput()
        let splits = try dataOptions.load()
        let trainer: Trainer
        let qatConfig = qat ? QATConfig(momentum: qatMomentum) : nil
        if let from {
            let source = try Checkpoint(path: from)
            let start = try source.model(path: from)
            if qat { try PostTrainingQuantizer.checkQuantizable(start.description) }
            try checkWritable(runOptions.output)
            var config = training.config(model: start.description, data: dataOptions.data)
            config.qat = qatConfig
            let name = (from as NSString).lastPathComponent
            config.startedFrom = "\(name) xxh64:\(hex(XXH64.hash(try FileBytes.read(from, limit: FileBytes.Limit.checkpoint)))) (\(source.epochsDone) epochs)"
            trainer = try Trainer(config: config, startingFrom: start, splits: splits)
            print("fine-tuning \(start.description.name) from \(from)\(qat ? ", quantization-aware" : "") on \(splits.train.name) for \(config.epochs) epochs")
        } else if runOptions.resume {
            let checkpoint = try Checkpoint(path: runOptions.output)
            var check = try ResumeCheck(checkpoint, path: runOptions.output, training: training, data: dataOptions)
            check.compare("--qat", qat, default: false, recorded: checkpoint.config.qat != nil)
            try check.finish()
            trainer = try Trainer(resuming: checkpoint, path: runOptions.output, splits: splits)
            print("resuming \(trainer.model.description.name) at epoch \(trainer.epochsDone + 1) of \(trainer.config.epochs)")
        } else {
            let description = try ModelFiles.load(model ?? "", modelsDirectory: runOptions.modelsDirectory)
            if qat { try PostTrainingQuantizer.checkQuantizable(description) }
            try checkWritable(runOptions.output)
            var config = training.config(model: description, data: dataOptions.data)
            config.qat = qatConfig
            trainer = try Trainer(config: config, description: description, splits: splits)
            print("training \(description.name) (\(description.parameterCount) parameters)\(qat ? " quantization-aware" : "") on \(splits.train.name): \(splits.train.count) train, \(splits.validation.count) validation samples")
        }
        try runOptions.train(trainer, test: splits.test)
    }

    /// Refuses a -o that is the model description, the --from checkpoint or a data file
    /// (with --resume the checkpoint at -o is read and written by design).
    func refuseOutputOnInput() throws(PithError) {
        var inputs = dataOptions.inputFiles
        if let from { inputs.append(.init("the --from checkpoint", from)) }
        if let model, !runOptions.resume, let path = try? ModelFiles.find(model, modelsDirectory: runOptions.modelsDirectory, extension: "model", kind: "model") {
            inputs.append(.init("the model description", path))
        }
        try OutputPath.refuseSameFile("train", outputs: [.init("-o", runOptions.output)], inputs: inputs)
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
