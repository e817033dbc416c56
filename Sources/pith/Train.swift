import ArgumentParser
import Foundation
import PithFormat
import PithNN
import PithPipeline

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
    var qatMomentum: Float = QATSettings().momentum

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var training: TrainingOptions

    var qatSettings: QATSettings {
        var q = QATSettings()
        q.qat = qat
        q.momentum = qatMomentum
        return q
    }

    func validate() throws {
        // --resume takes the model from the checkpoint (MODEL may stay on the command line).
        guard (from != nil ? 1 : 0) + (runOptions.resume ? 1 : 0) <= 1, from == nil || model == nil, model != nil || from != nil || runOptions.resume else {
            throw ValidationError("give exactly one of MODEL, --from CHECKPOINT or --resume")
        }
        do { try qatSettings.validate() } catch { throw ValidationError(error.description) }
    }

    /// A thin adapter over `TrainStage.run`.
    func run() throws {
        // --resume continues on the run's own data set unless --data names one.
        let recorded = runOptions.resume ? try Checkpoint(path: runOptions.output).config.dataSet : nil
        try refuseOutputOnInput(data: recorded)
        let splits = try dataOptions.load(recorded)
        let start: TrainStage.Start
        if let from { start = .from(checkpoint: from) } else if runOptions.resume { start = .resume } else {
            start = .fresh(try ModelFiles.load(model ?? "", modelsDirectory: runOptions.modelsDirectory))
        }
        var request = TrainStage.Request(start: start, training: training.settings, qat: qatSettings, data: dataOptions.spec(recorded),
                                         output: runOptions.output, stopAfter: runOptions.stopAfter)
        request.quiet = runOptions.json || runOptions.quiet
        let outcome = try TrainStage.run(request, splits: splits)
        if runOptions.json { print(runOptions.json(outcome)) }
    }

    /// Refuses a -o that is the model description, the --from checkpoint or a data file
    /// (with --resume the checkpoint at -o is read and written by design).
    func refuseOutputOnInput(data recorded: DataSpec?) throws(PithError) {
        var inputs = dataOptions.inputFiles(recorded)
        if let from { inputs.append(.init("the --from checkpoint", from)) }
        if let model, !runOptions.resume, let path = try? ModelFiles.find(model, modelsDirectory: runOptions.modelsDirectory, extension: "model", kind: "model") {
            inputs.append(.init("the model description", path))
        }
        try OutputPath.refuseSameFile("train", outputs: [.init("-o", runOptions.output)], inputs: inputs)
    }
}
