import ArgumentParser
import Foundation
import PithNN
import PithTensor

/// Where the data comes from, and how many threads to use.
struct DataOptions: ParsableArguments {
    @Option(help: "Data set: 'digits' (built in), 'mnist', or a labelled .csv/.csv.gz file.")
    var data: String = "digits"

    @Option(name: .customLong("mnist-dir"), help: "Folder holding the MNIST IDX files.")
    var mnistDirectory: String = DataSource.defaultMNISTDirectory

    @Option(name: .customLong("csv-scale"), help: "Factor applied to every CSV feature value.")
    var csvScale: Float = 1

    @Option(help: "Threads for BLAS and Pith's own loops.")
    var threads: Int = 1

    func validate() throws {
        try Self.validate(threads: threads)
        guard csvScale.isFinite && csvScale != 0 else { throw ValidationError("--csv-scale must be a finite number other than 0") }
    }

    /// The most threads a command may use.
    static let maxThreads = 256

    /// Checks a --threads value (for every command that has one).
    static func validate(threads: Int) throws {
        guard threads >= 1 && threads <= maxThreads else { throw ValidationError("--threads must be between 1 and \(maxThreads)") }
    }

    /// The files the data set is read from (for refusing an output that is one of them).
    var inputFiles: [OutputPath.File] { OutputPath.dataInputs(data, mnistDirectory: mnistDirectory) }

    func source() throws(PithError) -> DataSource {
        try DataSource.named(data, mnistDirectory: mnistDirectory, csvScale: csvScale)
    }

    /// Sets the thread count and loads the data.
    func load() throws(PithError) -> DataSplits {
        Threads.set(threads)
        return try source().load()
    }
}

/// Where a training run writes its checkpoints, and how it continues.
struct RunOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "Checkpoint to write (after every epoch).")
    var output: String

    @Flag(help: "Continue the run whose checkpoint is at --output.")
    var resume = false

    @Option(name: .customLong("models-dir"), help: "Folder of model descriptions.")
    var modelsDirectory = "models"

    @Option(name: .customLong("stop-after"), help: "Stop after this many epochs of this invocation (for testing --resume).")
    var stopAfter: Int?

    func validate() throws {
        if let stopAfter, stopAfter < 1 { throw ValidationError("--stop-after must be at least 1 (epochs)") }
    }

    /// Runs `trainer` with checkpoints at --output; when the last epoch is done, prints the
    /// test figures (the simulated int8 model's for a quantization-aware run).
    func train(_ trainer: Trainer, test data: Dataset) throws(PithError) {
        try runWithProgress(trainer, checkpoint: output, stopAfter: stopAfter)
        if trainer.epochsDone == trainer.config.epochs {
            let test = Evaluation(model: trainer.model, data: data)
            print(String(format: "test accuracy%@ %.2f%% (%d errors of %d), loss %.4f", trainer.model.fakeQuantization != nil ? " (simulated int8)" : "",
                         test.accuracy * 100, test.errors, test.count, test.loss))
        }
        print("checkpoint: \(output)")
    }
}

/// The training recipe.
struct TrainingOptions: ParsableArguments {
    /// The most epochs a run may have.
    static let maxEpochs = 100_000

    @Option(help: "Passes over the training split (1 to 100000).")
    var epochs: Int = 10

    @Option(name: .customLong("batch-size"), help: "Samples per update; 0 = the whole split (full-batch gradient descent), 1 = per-sample SGD.")
    var batchSize: Int = 128

    @Option(help: "Update rule: \(OptimizerConfig.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var optimizer: OptimizerConfig.Kind = .adam

    @Option(help: "Base learning rate.")
    var lr: Float = 1e-3

    @Option(help: "Momentum (optimizer 'momentum').")
    var momentum: Float = 0.9

    @Option(name: .customLong("weight-decay"), help: "L2 weight decay (decoupled for adamw).")
    var weightDecay: Float = 0

    @Option(help: "Learning-rate schedule: \(Schedule.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var schedule: Schedule.Kind = .constant

    @Option(help: "Step schedule: multiply the rate by this every --step-epochs epochs.")
    var gamma: Float = 0.1

    @Option(name: .customLong("step-epochs"), help: "Step schedule: epochs between decays.")
    var stepEpochs: Int = 10

    @Option(help: "Updates of linear learning-rate warm-up.")
    var warmup: Int = 0

    @Option(help: "Training loss: \(Loss.allCases.map(\.rawValue).joined(separator: ", ")) (mse and bce against one-hot labels).")
    var loss: Loss = .crossEntropy

    @Option(help: "Seed for initialisation, shuffling, dropout and augmentation.")
    var seed: UInt64 = 1

    @Option(help: "Augmentation: shift each training image by up to this many pixels in each direction (0: none).")
    var shift: Int = 0

    @Option(help: "Augmentation: rotate each training image by a random angle of up to this many degrees (0: none).")
    var rotate: Float = 0

    @Option(help: "Augmentation: zoom each training image by a random factor in 1 ± this (0: none).")
    var scale: Float = 0

    /// The augmentation these options ask for (nil: none).
    var augmentation: Augmentation? {
        let a = Augmentation(shift: shift, rotate: rotate, scale: scale)
        return a.isIdentity ? nil : a
    }

    func validate() throws {
        guard epochs >= 1 && epochs <= Self.maxEpochs else { throw ValidationError("--epochs must be between 1 and \(Self.maxEpochs)") }
        guard batchSize >= 0 else { throw ValidationError("--batch-size must be 0 (full batch) or positive") }
        guard lr > 0 && lr.isFinite else { throw ValidationError("--lr must be a positive number") }
        guard weightDecay >= 0 && weightDecay.isFinite else { throw ValidationError("--weight-decay must be zero or positive") }
        guard momentum >= 0 && momentum < 1 else { throw ValidationError("--momentum must be in [0, 1)") }
        guard warmup >= 0, stepEpochs >= 1, gamma > 0, gamma.isFinite else { throw ValidationError("--warmup must be ≥ 0, --step-epochs ≥ 1, --gamma a finite number > 0") }
        guard shift >= 0 && shift <= 64 else { throw ValidationError("--shift must be between 0 and 64") }
        if let problem = Augmentation(rotate: rotate, scale: scale).rangeProblem { throw ValidationError("--\(problem)") }
    }

    func config(model: ModelDescription, data: String) -> TrainingConfig {
        var opt = OptimizerConfig(kind: optimizer, weightDecay: weightDecay)
        opt.momentum = momentum
        var sched = Schedule(kind: schedule, baseLR: lr)
        sched.gamma = gamma
        sched.stepEpochs = stepEpochs
        sched.warmupSteps = warmup
        var config = TrainingConfig(modelText: model.text, data: data, seed: seed, epochs: epochs,
                                    batchSize: batchSize, optimizer: opt, schedule: sched, loss: loss)
        config.augmentation = augmentation
        return config
    }
}

extension OptimizerConfig.Kind: ExpressibleByArgument {}
extension Schedule.Kind: ExpressibleByArgument {}
extension Loss: ExpressibleByArgument {}

/// Finds a model description: a path to a file, or a name under `models/`.
enum ModelFiles {
    /// `nameOrPath` when it is a file, else `modelsDirectory/NAME.EXTENSION` (a model or a recipe).
    static func find(_ nameOrPath: String, modelsDirectory: String, extension ext: String, kind: String) throws(PithError) -> String {
        if FileManager.default.fileExists(atPath: nameOrPath) { return nameOrPath }
        let candidate = "\(modelsDirectory)/\(nameOrPath).\(ext)"
        guard FileManager.default.fileExists(atPath: candidate) else {
            throw .badFile(path: nameOrPath, problem: "no such \(kind) file, and no \(candidate)")
        }
        return candidate
    }

    static func load(_ nameOrPath: String, modelsDirectory: String = "models") throws(PithError) -> ModelDescription {
        let path = try find(nameOrPath, modelsDirectory: modelsDirectory, extension: "model", kind: "model")
        let bytes = try FileBytes.read(path, limit: FileBytes.Limit.modelDescription)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .badFile(path: path, problem: "is not UTF-8 text")
        }
        return try ModelDescription(parsing: text, source: path)
    }
}
