import PithIO
import ArgumentParser
import Foundation
import PithNN
import PithPipeline
import PithTensor

/// Where the data comes from, and how many threads to use.
struct DataOptions: ParsableArguments {
    @Option(help: "Data set: 'digits' (built in), 'mnist', a labelled .csv/.csv.gz file or a .npz archive (default: digits; for eval, quantize, pack and --resume, the checkpoint's).")
    var data: String?

    @Option(help: "CSV: is the first row a header of column names? detect (default), present or absent.")
    var header: String?

    @Option(name: .customLong("label-column"), help: "CSV: the label column, by header name or 0-based number (default: the last). Labels may be class numbers or names.")
    var labelColumn: String?

    @Option(name: .customLong("validation-data"), help: "A separate validation file (with --test-data; --data is then the training file).")
    var validationData: String?

    @Option(name: .customLong("test-data"), help: "A separate test file (with --validation-data).")
    var testData: String?

    /// The data set: --data and its options, else `fallback` (a checkpoint's data set) with
    /// any of the options given here, else digits.
    func spec(_ fallback: DataSpec? = nil) -> DataSpec {
        var spec = data.map { DataSpec(name: $0) } ?? fallback ?? DataSpec(name: "digits")
        if let header { spec.header = header }
        if let labelColumn { spec.labelColumn = labelColumn }
        if let validationData { spec.validation = validationData }
        if let testData { spec.test = testData }
        return spec
    }

    /// The data set's name (see `spec`).
    func name(_ fallback: DataSpec? = nil) -> String { spec(fallback).name }

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
    func inputFiles(_ fallback: DataSpec? = nil) -> [OutputPath.File] { OutputPath.dataInputs(spec(fallback), mnistDirectory: mnistDirectory) }

    func source(_ fallback: DataSpec? = nil) throws(PithError) -> DataSource {
        try spec(fallback).source(mnistDirectory: mnistDirectory, scale: csvScale)
    }

    /// Sets the thread count and loads the data.
    func load(_ fallback: DataSpec? = nil) throws(PithError) -> DataSplits {
        Threads.set(threads)
        return try source(fallback).load()
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

    @Option(name: .customLong("stop-after"), help: .hidden)
    var stopAfter: Int?

    @Flag(help: "Print one JSON object when done instead of text.")
    var json = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    /// The outcome as one JSON object (the --json output).
    func json(_ outcome: TrainStage.Outcome) -> String {
        let test = outcome.test.map { t in
            "{\"accuracy\":\(JSONText.number(t.accuracy)),\"errors\":\(t.errors),\"count\":\(t.count),\"loss\":\(JSONText.number(t.loss))}"
        } ?? "null"
        return "{\"checkpoint\":\(JSONText.string(output)),\"epochsDone\":\(outcome.epochsDone),\"epochs\":\(outcome.epochs),\"test\":\(test)}"
    }

    func validate() throws {
        if let stopAfter, stopAfter < 1 { throw ValidationError("--stop-after must be at least 1 (epochs)") }
    }
}

/// The training options `pith train` and `pith distill` share: `TrainingSettings` on the
/// command line (the defaults, ranges and meaning live there).
struct TrainingOptions: ParsableArguments {
    private static let d = TrainingSettings()

    @Option(help: "Passes over the training split (1 to \(TrainingSettings.maxEpochs)).")
    var epochs: Int = d.epochs

    @Option(name: .customLong("batch-size"), help: "Samples per update; 0 = the whole split (full-batch gradient descent), 1 = per-sample SGD.")
    var batchSize: Int = d.batchSize

    @Option(help: "Update rule: \(OptimizerConfig.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var optimizer: OptimizerConfig.Kind = d.optimizer

    @Option(help: "Base learning rate.")
    var lr: Float = d.lr

    @Option(help: "Momentum (optimizer 'momentum').")
    var momentum: Float = d.momentum

    @Option(name: .customLong("weight-decay"), help: "L2 weight decay (decoupled for adamw).")
    var weightDecay: Float = d.weightDecay

    @Option(help: "Learning-rate schedule: \(Schedule.Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var schedule: Schedule.Kind = d.schedule

    @Option(help: "Step schedule: multiply the rate by this every --step-epochs epochs.")
    var gamma: Float = d.gamma

    @Option(name: .customLong("step-epochs"), help: "Step schedule: epochs between decays.")
    var stepEpochs: Int = d.stepEpochs

    @Option(help: "Updates of linear learning-rate warm-up.")
    var warmup: Int = d.warmup

    @Option(help: "Training loss: \(Loss.allCases.map(\.rawValue).joined(separator: ", ")) (mse and bce against one-hot labels).")
    var loss: Loss = d.loss

    @Option(help: "Seed for initialisation, shuffling, dropout and augmentation.")
    var seed: UInt64 = d.seed

    @Option(help: "Augmentation: shift each training image by up to this many pixels in each direction (0: none).")
    var shift: Int = d.shift

    @Option(help: "Augmentation: rotate each training image by a random angle of up to this many degrees (0: none).")
    var rotate: Float = d.rotate

    @Option(help: "Augmentation: zoom each training image by a random factor in 1 ± this (0: none).")
    var scale: Float = d.scale

    @Option(help: "Standardize each input feature by the training split's mean and deviation, in front of the exported graph (default: true for tables into a flat input, false for images).")
    var standardize: Bool?

    @Option(help: "Which epoch's weights the run ends with: last, or best (the highest validation accuracy, the first of equals).")
    var keep: TrainingSettings.Keep = d.keep

    var settings: TrainingSettings {
        var s = TrainingSettings()
        s.standardize = standardize
        s.keep = keep
        (s.epochs, s.batchSize, s.optimizer, s.lr, s.momentum, s.weightDecay) = (epochs, batchSize, optimizer, lr, momentum, weightDecay)
        (s.schedule, s.gamma, s.stepEpochs, s.warmup, s.loss, s.seed) = (schedule, gamma, stepEpochs, warmup, loss, seed)
        (s.shift, s.rotate, s.scale) = (shift, rotate, scale)
        return s
    }

    func validate() throws {
        do { try settings.validate() } catch { throw ValidationError(error.description) }
    }
}

extension OptimizerConfig.Kind: ExpressibleByArgument {}
extension Schedule.Kind: ExpressibleByArgument {}
extension Loss: ExpressibleByArgument {}
extension TrainingSettings.Keep: ExpressibleByArgument {}
