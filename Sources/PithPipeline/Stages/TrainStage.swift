import Foundation
import PithFormat
import PithNN
import PithQuant

/// The training stage: a model description (or a checkpoint's weights) trained on a data
/// set into a checkpoint written after every epoch. `pith train` and the pipeline's teacher
/// stage call `TrainStage.run`.
public enum TrainStage {
    /// Where the weights start.
    public enum Start: Sendable {
        /// A fresh initialisation of this model description.
        case fresh(ModelDescription)
        /// The weights of this checkpoint (fine-tuning).
        case from(checkpoint: String)
        /// The run whose checkpoint is at the request's output, continued.
        case resume
    }

    public struct Request: Sendable {
        public var start: Start
        public var training: TrainingSettings
        public var qat: QATSettings
        /// The data set as the checkpoint records it (`digits`, `mnist`, a CSV path, and how it is read).
        public var data: DataSpec
        public var dataName: String { data.name }
        /// The checkpoint written after every epoch.
        public var output: String
        /// Stop after this many epochs of this call (tests of resuming).
        public var stopAfter: Int?
        /// Print nothing (the caller reports the outcome, e.g. as JSON).
        public var quiet = false

        public init(start: Start, training: TrainingSettings, qat: QATSettings, data: DataSpec, output: String, stopAfter: Int? = nil) {
            self.start = start
            self.training = training
            self.qat = qat
            self.data = data
            self.output = output
            self.stopAfter = stopAfter
        }
    }

    /// What a training call did: how far the run is, and (when it is finished) the model's
    /// test figures (the simulated int8 model's for a quantization-aware run).
    public struct Outcome {
        public var epochsDone: Int
        public var epochs: Int
        public var test: Evaluation?
        public var finished: Bool { epochsDone >= epochs }
    }

    /// Trains as `request` says on `splits`, printing one line per epoch (unless quiet).
    public static func run(_ request: Request, splits: DataSplits) throws -> Outcome {
        func say(_ line: String) { if !request.quiet { print(line) } }
        let trainer: Trainer
        let output = request.output
        switch request.start {
        case let .from(path):
            let source = try Checkpoint(path: path)
            let start = try source.model(path: path)
            if request.qat.qat { try PostTrainingQuantizer.checkQuantizable(start.description) }
            try checkWritable(output)
            var config = request.training.config(model: start.description, data: request.dataName)
            config.qat = request.qat.config
            // A fine-tune keeps the standardization and class names its weights were trained with.
            config.standardization = source.config.standardization
            config.classNames = source.config.classNames
            config.dataSpec = request.data.isPlain ? nil : request.data
            let name = (path as NSString).lastPathComponent
            config.startedFrom = "\(name) xxh64:\(hex(XXH64.hash(try FileBytes.read(path, limit: FileBytes.Limit.checkpoint)))) (\(source.epochsDone) epochs)"
            trainer = try Trainer(config: config, startingFrom: start, splits: splits)
            say("fine-tuning \(start.description.name) from \(path)\(request.qat.qat ? ", quantization-aware" : "") on \(splits.train.name) for \(config.epochs) epochs")
        case .resume:
            let checkpoint = try Checkpoint(path: output)
            var check = try ResumeCheck(checkpoint, path: output, training: request.training, dataName: request.dataName)
            check.compare("--qat", request.qat.qat, default: false, recorded: checkpoint.config.qat != nil)
            try check.finish()
            trainer = try Trainer(resuming: checkpoint, path: output, splits: splits)
            say("resuming \(trainer.model.description.name) at epoch \(trainer.epochsDone + 1) of \(trainer.config.epochs)")
        case let .fresh(description):
            if let note = GraphExport.packingNote(description) { say("note: \(note)") }
            if request.qat.qat { try PostTrainingQuantizer.checkQuantizable(description) }
            try checkWritable(output)
            var config = try request.training.config(model: description, data: request.data, train: splits.train)
            config.qat = request.qat.config
            trainer = try Trainer(config: config, description: description, splits: splits)
            say("training \(description.name) (\(description.parameterCount) parameters)\(request.qat.qat ? " quantization-aware" : "") on \(splits.train.name): \(splits.train.count) train, \(splits.validation.count) validation samples")
        }
        return try finish(trainer, output: output, stopAfter: request.stopAfter, test: splits.test, quiet: request.quiet)
    }

    /// Runs `trainer` with checkpoints at `output`; when the last epoch is done, prints and
    /// returns the test figures.
    static func finish(_ trainer: Trainer, output: String, stopAfter: Int?, test data: Dataset, quiet: Bool) throws -> Outcome {
        func say(_ line: String) { if !quiet { print(line) } }
        try runWithProgress(trainer, checkpoint: output, stopAfter: stopAfter, quiet: quiet)
        var outcome = Outcome(epochsDone: trainer.epochsDone, epochs: trainer.config.epochs, test: nil)
        if outcome.finished {
            let test = Evaluation(model: trainer.model, data: data)
            say(String(format: "test accuracy%@ %.2f%% (%d errors of %d), loss %.4f", trainer.model.fakeQuantization != nil ? " (simulated int8)" : "",
                         test.accuracy * 100, test.errors, test.count, test.loss))
            outcome.test = test
        }
        say("checkpoint: \(output)")
        StandardOutput.flush()
        return outcome
    }
}
