import PithNN

/// What `--resume` checks before it continues a run: that the checkpoint's epochs add up,
/// and that no option given on the command line asks for something other than the run the
/// checkpoint records (which --resume continues as it began: a different --epochs would
/// otherwise be ignored without a word).
///
/// An option counts as given when its value is not the default, so a bare
/// `pith train --resume -o CKPT` takes everything from the checkpoint, except --data, which
/// must name the run's data set (the data is loaded from the command line).
public struct ResumeCheck {
    public let path: String
    private(set) var conflicts: [String] = []

    /// Checks the epochs and compares the training and data options with `checkpoint`'s config.
    public init(_ checkpoint: Checkpoint, path: String, training: TrainingSettings, dataName: String) throws(PithError) {
        self.path = path
        let config = checkpoint.config
        guard config.epochs >= 1 && config.epochs <= TrainingSettings.maxEpochs else {
            throw PithError.badFile(path: path, problem: "field 'epochs': \(config.epochs) is outside 1...\(TrainingSettings.maxEpochs); it cannot be resumed")
        }
        guard checkpoint.epochsDone >= 0 && checkpoint.epochsDone <= config.epochs else {
            throw PithError.badFile(path: path, problem: "field 'epochsDone': \(checkpoint.epochsDone) epochs done of a run of \(config.epochs); it cannot be resumed")
        }
        let d = TrainingSettings()
        let augmentation = config.augmentation ?? Augmentation()
        compare("--epochs", training.epochs, default: d.epochs, recorded: config.epochs)
        compare("--batch-size", training.batchSize, default: d.batchSize, recorded: config.batchSize)
        compare("--optimizer", training.optimizer, default: d.optimizer, recorded: config.optimizer.kind)
        compare("--lr", training.lr, default: d.lr, recorded: config.schedule.baseLR)
        compare("--momentum", training.momentum, default: d.momentum, recorded: config.optimizer.momentum)
        compare("--weight-decay", training.weightDecay, default: d.weightDecay, recorded: config.optimizer.weightDecay)
        compare("--schedule", training.schedule, default: d.schedule, recorded: config.schedule.kind)
        compare("--gamma", training.gamma, default: d.gamma, recorded: config.schedule.gamma)
        compare("--step-epochs", training.stepEpochs, default: d.stepEpochs, recorded: config.schedule.stepEpochs)
        compare("--warmup", training.warmup, default: d.warmup, recorded: config.schedule.warmupSteps)
        compare("--loss", training.loss, default: d.loss, recorded: config.loss)
        compare("--seed", training.seed, default: d.seed, recorded: config.seed)
        compare("--shift", training.shift, default: d.shift, recorded: augmentation.shift)
        compare("--rotate", training.rotate, default: d.rotate, recorded: augmentation.rotate)
        compare("--scale", training.scale, default: d.scale, recorded: augmentation.scale)
        compare("--keep", training.keep, default: d.keep, recorded: config.keepBest == true ? .best : .last)
        // The data always: the data loaded is the one named now, not the run's.
        if dataName != config.data {
            conflicts.append("--data \(dataName) (the run has \(config.data): give --data \(config.data))")
        }
    }

    /// Notes a conflict when `given` is not the default and not what the checkpoint records.
    public mutating func compare<T: Equatable>(_ option: String, _ given: T, default: T, recorded: T) {
        if given != `default` && given != recorded { conflicts.append("\(option) \(given) (the run has \(recorded))") }
    }

    /// Throws one line listing every conflicting option.
    public func finish() throws(PithError) {
        guard !conflicts.isEmpty else { return }
        throw .badFile(path: path, problem: "--resume continues the run this checkpoint records, which disagrees with \(conflicts.joined(separator: ", ")); drop \(conflicts.count == 1 ? "that option" : "those options") or start a new run")
    }
}
