import PithNN

/// How a model is trained: the options `pith train` and `pith distill` share, and a
/// recipe's `teacher` / `student` keys (the same names, without `--`). One place holds
/// their defaults, their ranges and how they become a `TrainingConfig`.
public struct TrainingSettings: Equatable, Sendable {
    /// The most epochs a run may have.
    public static let maxEpochs = 100_000

    public var epochs = 10
    /// Samples per update; 0 = the whole split (full batch), 1 = per-sample SGD.
    public var batchSize = 128
    public var optimizer: OptimizerConfig.Kind = .adam
    public var lr: Float = 1e-3
    public var momentum: Float = 0.9
    public var weightDecay: Float = 0
    public var schedule: Schedule.Kind = .constant
    public var gamma: Float = 0.1
    public var stepEpochs = 10
    public var warmup = 0
    public var loss: Loss = .crossEntropy
    public var seed: UInt64 = 1
    public var shift = 0
    public var rotate: Float = 0
    public var scale: Float = 0
    /// Standardize each input feature with the training split's mean and deviation (run in
    /// float in front of the exported graph). nil: yes for a table (CSV or NPY data into a
    /// model with flat input), no for images.
    public var standardize: Bool?
    /// Which epoch's weights a run ends with: the last, or the best on the validation split.
    public var keep: Keep = .last

    public enum Keep: String, CaseIterable, Sendable { case last, best }

    public init() {}

    /// The standardization a new run of `model` on `data` (named `dataName`) applies, or nil.
    public func standardization(_ model: ModelDescription, dataName: String, train: Dataset) throws(PithError) -> Standardization? {
        // Every data set but the two image sets is a table of features.
        let isTable = dataName != "digits" && dataName != "mnist"
        let problem = Model.standardizationProblem(model)
        guard standardize ?? (isTable && problem == nil) else { return nil }
        if let problem { throw .mismatch(problem) }
        return Standardization(of: train)
    }

    /// The augmentation these settings ask for (nil: none).
    public var augmentation: Augmentation? {
        let a = Augmentation(shift: shift, rotate: rotate, scale: scale)
        return a.isIdentity ? nil : a
    }

    /// The first setting out of its range, as the command line names it.
    public func validate() throws(SettingsError) {
        guard epochs >= 1 && epochs <= Self.maxEpochs else { throw SettingsError("--epochs must be between 1 and \(Self.maxEpochs)") }
        guard batchSize >= 0 else { throw SettingsError("--batch-size must be 0 (full batch) or positive") }
        guard lr > 0 && lr.isFinite else { throw SettingsError("--lr must be a positive number") }
        guard weightDecay >= 0 && weightDecay.isFinite else { throw SettingsError("--weight-decay must be zero or positive") }
        guard momentum >= 0 && momentum < 1 else { throw SettingsError("--momentum must be in [0, 1)") }
        guard warmup >= 0, stepEpochs >= 1, gamma > 0, gamma.isFinite else { throw SettingsError("--warmup must be ≥ 0, --step-epochs ≥ 1, --gamma a finite number > 0") }
        guard shift >= 0 && shift <= 64 else { throw SettingsError("--shift must be between 0 and 64") }
        if let problem = Augmentation(rotate: rotate, scale: scale).rangeProblem { throw SettingsError("--\(problem)") }
    }

    /// The run these settings describe, for `model` on the data set named `data`.
    public func config(model: ModelDescription, data: String) -> TrainingConfig {
        var opt = OptimizerConfig(kind: optimizer, weightDecay: weightDecay)
        opt.momentum = momentum
        var sched = Schedule(kind: schedule, baseLR: lr)
        sched.gamma = gamma
        sched.stepEpochs = stepEpochs
        sched.warmupSteps = warmup
        var config = TrainingConfig(modelText: model.text, data: data, seed: seed, epochs: epochs,
                                    batchSize: batchSize, optimizer: opt, schedule: sched, loss: loss)
        config.augmentation = augmentation
        config.keepBest = keep == .best ? true : nil
        return config
    }

    /// The run these settings describe for a new run of `model` on the data set `data`:
    /// with its standardization (computed on `train`), class names and how the data is read.
    public func config(model: ModelDescription, data: DataSpec, train: Dataset) throws(PithError) -> TrainingConfig {
        var config = config(model: model, data: data.name)
        config.standardization = try standardization(model, dataName: data.name, train: train)
        config.classNames = train.classNames
        config.dataSpec = data.isPlain ? nil : data
        return config
    }

    /// Sets the option `key` (a recipe key: the option's name without `--`) from `value`;
    /// false when `key` is not a training option.
    public mutating func set(_ key: String, _ value: RecipeValue) throws(SettingsError) -> Bool {
        switch key {
        case "epochs": epochs = try value.int(key)
        case "batch-size": batchSize = try value.int(key)
        case "optimizer": optimizer = try value.choice(key, OptimizerConfig.Kind.self)
        case "lr": lr = try value.float(key)
        case "momentum": momentum = try value.float(key)
        case "weight-decay": weightDecay = try value.float(key)
        case "schedule": schedule = try value.choice(key, Schedule.Kind.self)
        case "gamma": gamma = try value.float(key)
        case "step-epochs": stepEpochs = try value.int(key)
        case "warmup": warmup = try value.int(key)
        case "loss": loss = try value.choice(key, Loss.self)
        case "seed": seed = try value.unsigned(key)
        case "shift": shift = try value.int(key)
        case "rotate": rotate = try value.float(key)
        case "scale": scale = try value.float(key)
        case "standardize": standardize = try value.bool(key)
        case "keep": keep = try value.choice(key, Keep.self)
        default: return false
        }
        return true
    }

    /// The keys `set` knows.
    public static let keys = ["epochs", "batch-size", "optimizer", "lr", "momentum", "weight-decay", "schedule", "gamma",
                              "step-epochs", "warmup", "loss", "seed", "shift", "rotate", "scale", "standardize", "keep"]
}

/// A setting out of its range, or a recipe value of the wrong kind: one line, naming the
/// option as the command line spells it.
public struct SettingsError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
