import Foundation
import PithTensor

/// Where a running training loop is, for progress displays.
public struct TrainingProgress: Sendable {
    public let epoch: Int
    public let epochs: Int
    public let batch: Int
    public let batches: Int
    public let loss: Double
    public let accuracy: Double
    public let samplesPerSecond: Double
    public let secondsLeft: Double
}

/// Mini-batch training with a checkpoint at the end of every epoch.
///
/// Every random choice of epoch e comes from streams derived from (seed, e): the shuffle
/// and the dropout masks. A run resumed from epoch e's checkpoint therefore ends with the
/// same weights, bit for bit, as one that was never interrupted (same thread count).
public final class Trainer {
    public let config: TrainingConfig
    public let model: Model
    public let optimizer: Optimizer
    public let splits: DataSplits
    /// What each step minimises, when more than `config.loss` on the logits (distillation).
    public let objective: TrainingObjective?
    public private(set) var epochsDone = 0
    public private(set) var history: [EpochRecord] = []
    /// A `keepBest` run: the best epoch's weights and tracked ranges so far (this process's).
    var best: ([[Float]], [ActivationRange]?)?

    /// A fresh run: weights initialised from the config's seed.
    public convenience init(config: TrainingConfig, description: ModelDescription, splits: DataSplits, objective: TrainingObjective? = nil) throws(PithError) {
        try self.init(config: config, startingFrom: Model(description, seed: config.seed), splits: splits, objective: objective)
    }

    /// A new run from trained weights (fine-tuning): `model`'s weights, a fresh optimizer,
    /// epochs counted from 0. With `config.qat` the model trains quantization-aware,
    /// keeping the ranges it already tracks (a quantization-aware checkpoint) or tracking
    /// new ones; without, it trains in float.
    public init(config: TrainingConfig, startingFrom model: Model, splits: DataSplits, objective: TrainingObjective? = nil) throws(PithError) {
        Memory.keepFreedBuffers()
        try Self.checkFit(model.description, splits)
        try Self.checkAugmentation(config.augmentation, splits, objective)
        self.config = config
        self.model = model
        self.objective = objective
        if let standardization = config.standardization {
            if let problem = standardization.problem(features: model.description.inputFeatures) ?? Model.standardizationProblem(model.description) {
                throw .mismatch(problem)
            }
            model.standardization = standardization
        }
        if let qat = config.qat {
            if model.fakeQuantization == nil { model.fakeQuantization = try FakeQuantization(model.description, momentum: qat.momentum) }
        } else {
            model.fakeQuantization = nil
        }
        self.optimizer = Optimizer(config.optimizer, parameters: model.parameters + (objective?.auxiliaryParameters ?? []))
        self.splits = splits
    }

    /// A run continued from a checkpoint; `objective` rebuilt from its config by the caller,
    /// its parameters restored here.
    public init(resuming checkpoint: Checkpoint, path: String, splits: DataSplits, objective: TrainingObjective? = nil) throws(PithError) {
        Memory.keepFreedBuffers()
        let model = try checkpoint.model(path: path)
        try Self.checkFit(model.description, splits)
        do { try Self.checkAugmentation(checkpoint.config.augmentation, splits, objective) } catch {
            throw .badFile(path: path, problem: "field 'augmentation': \(error)")
        }
        let auxiliary = objective?.auxiliaryParameters ?? []
        guard auxiliary.map(\.shape) == Array(checkpoint.parameterShapes.suffix(checkpoint.auxiliaryCount)) else {
            throw .badFile(path: path, problem: "holds \(checkpoint.auxiliaryCount) objective parameters; the recipe has \(auxiliary.count) (\(auxiliary.map(\.shape)))")
        }
        for (p, values) in zip(auxiliary, checkpoint.auxiliaryParameters) {
            values.withUnsafeBufferPointer { p.data.update(from: $0.baseAddress!, count: p.count) }
        }
        self.config = checkpoint.config
        self.model = model
        self.objective = objective
        self.optimizer = Optimizer(checkpoint.config.optimizer, parameters: model.parameters + auxiliary)
        let expectedSlots = optimizer.state.first?.count ?? 0
        guard checkpoint.optimizerState.allSatisfy({ $0.count == expectedSlots }) else {
            throw .badFile(path: path, problem: "optimizer state does not match optimizer '\(config.optimizer.kind.rawValue)'")
        }
        optimizer.restore(step: checkpoint.step, state: checkpoint.optimizerState)
        self.splits = splits
        self.epochsDone = checkpoint.epochsDone
        self.history = checkpoint.history
    }

    static func checkFit(_ d: ModelDescription, _ splits: DataSplits) throws(PithError) {
        guard d.inputFeatures == splits.train.featureCount else {
            throw .mismatch("model '\(d.name)' takes input \(d.inputShape) (\(d.inputFeatures) values) but data '\(splits.train.name)' has samples of \(splits.train.sampleShape) (\(splits.train.featureCount) values)")
        }
        guard d.classes >= splits.train.classes else {
            throw .mismatch("model '\(d.name)' has \(d.classes) outputs but data '\(splits.train.name)' has \(splits.train.classes) classes")
        }
    }

    /// An augmentation the training split can take, and mixup only for an objective that
    /// reads no labels.
    static func checkAugmentation(_ a: Augmentation?, _ splits: DataSplits, _ objective: TrainingObjective?) throws(PithError) {
        guard let a else { return }
        if let problem = a.problem(sampleShape: splits.train.sampleShape) { throw .mismatch(problem) }
        if a.mixup > 0, objective?.readsLabels ?? true {
            throw .mismatch("mixup blends two images, which have no single label: it needs an objective without hard labels (pith distill --alpha 1)")
        }
    }

    var batchSize: Int { config.batchSize == 0 ? splits.train.count : config.batchSize }
    var batchesPerEpoch: Int { (splits.train.count + batchSize - 1) / batchSize }

    /// Trains until `config.epochs` epochs are done (or `stopAfter` more), writing a
    /// checkpoint to `checkpointPath` after each. A non-finite loss stops the run and
    /// leaves the last good checkpoint in place.
    @discardableResult
    public func run(checkpointPath: String?, stopAfter: Int? = nil,
                    progress: (TrainingProgress) -> Void = { _ in },
                    onEpoch: (EpochRecord) -> Void = { _ in }) throws(PithError) -> [EpochRecord] {
        let params = model.parameters + (objective?.auxiliaryParameters ?? [])
        let train = splits.train
        let augmentation = config.augmentation.flatMap { $0.isIdentity ? nil : $0 }
        let totalSteps = config.epochs * batchesPerEpoch
        let clock = ContinuousClock()
        var epochsThisRun = 0
        while epochsDone < config.epochs {
            if let stopAfter, epochsThisRun >= stopAfter { break }
            let epoch = epochsDone
            let started = clock.now
            var shuffleRNG = PithRandom(seed: config.seed, stream: 0x5EED_0000 &+ UInt64(epoch))
            var dropoutRNG = PithRandom(seed: config.seed, stream: 0xD0D0_0000 &+ UInt64(epoch))
            var augmentRNG = PithRandom(seed: config.seed, stream: 0xA116_0000 &+ UInt64(epoch))
            let order = shuffleRNG.permutation(train.count)
            var lossSum: Double = 0, correct = 0, seen = 0
            for b in 0..<batchesPerEpoch {
                let lo = b * batchSize, hi = min(lo + batchSize, train.count)
                var (x, labels) = train.batch(order[lo..<hi], shape: model.description.inputShape)
                if let augmentation { x = augmentation.apply(x, sampleShape: train.sampleShape, rng: &augmentRNG) }
                if !optimizer.clearsGradients { for p in params { p.zeroGrad() } }
                let logits: Tensor, loss: Tensor
                if let objective {
                    (loss, logits) = objective.loss(model: model, x: x, labels: labels,
                                                    indices: augmentation == nil ? order[lo..<hi] : nil, rng: &dropoutRNG)
                } else {
                    logits = model.forward(x, training: true, rng: &dropoutRNG)
                    loss = config.loss(logits: logits, labels: labels)
                }
                let value = loss.item
                guard value.isFinite else {
                    throw .nonFiniteLoss(epoch: epoch + 1, batch: b + 1,
                                         keptCheckpoint: epochsDone > 0 ? checkpointPath : nil)
                }
                loss.backward()
                let lr = config.schedule.rate(step: optimizer.step, epoch: epoch, totalSteps: totalSteps)
                optimizer.update(params, lr: lr)
                lossSum += Double(value) * Double(hi - lo)
                for (r, p) in argmaxRows(logits).enumerated() where p == labels[r] { correct += 1 }
                seen += hi - lo
                let elapsed = seconds(clock.now - started)
                let rate = Double(seen) / max(elapsed, 1e-9)
                let left = Double(train.count - seen + (config.epochs - epoch - 1) * train.count) / max(rate, 1e-9)
                progress(TrainingProgress(epoch: epoch + 1, epochs: config.epochs, batch: b + 1, batches: batchesPerEpoch,
                                          loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                                          samplesPerSecond: rate, secondsLeft: left))
            }
            let trainSeconds = seconds(clock.now - started)
            let validation = Evaluation(model: model, data: splits.validation)
            let record = EpochRecord(epoch: epoch + 1, trainLoss: lossSum / Double(max(seen, 1)),
                                     trainAccuracy: Double(correct) / Double(max(seen, 1)),
                                     validationLoss: validation.loss, validationAccuracy: validation.accuracy,
                                     samplesPerSecond: Double(seen) / max(trainSeconds, 1e-9), seconds: trainSeconds)
            let improved = history.allSatisfy { $0.validationAccuracy < record.validationAccuracy }
            history.append(record)
            epochsDone += 1
            epochsThisRun += 1
            let keepBest = config.keepBest == true
            if keepBest && improved {
                best = (model.parameters.map(\.scalars), model.fakeQuantization?.ranges)
                if let checkpointPath { try checkpoint().write(to: Self.bestPath(checkpointPath)) }
            }
            let finishing = keepBest && epochsDone == config.epochs
            if finishing { try restoreBest(checkpointPath) }
            if let checkpointPath {
                try checkpoint().write(to: checkpointPath)
                if finishing { try? FileManager.default.removeItem(atPath: Self.bestPath(checkpointPath)) }
            }
            onEpoch(record)
        }
        return history
    }

    /// The run as it stands, as a checkpoint.
    func checkpoint() -> Checkpoint {
        Checkpoint(config: config, model: model, auxiliary: objective?.auxiliaryParameters ?? [], optimizer: optimizer,
                   epochsDone: epochsDone, history: history)
    }

    /// Where a `keepBest` run keeps the best epoch's checkpoint until it ends.
    public static func bestPath(_ checkpoint: String) -> String { checkpoint + ".best" }

    /// Puts the best epoch's weights (and tracked ranges) into the model: from memory, or —
    /// for a resumed run — from the `.best` checkpoint beside `path`.
    func restoreBest(_ path: String?) throws(PithError) {
        if best == nil, let path {
            let saved = try Checkpoint(path: Self.bestPath(path))
            best = (Array(saved.parameters.prefix(model.parameters.count)), saved.activationRanges)
        }
        guard let (weights, ranges) = best else { return }
        for (p, values) in zip(model.parameters, weights) where values.count == p.count {
            values.withUnsafeBufferPointer { p.data.update(from: $0.baseAddress!, count: p.count) }
        }
        if let ranges, let fq = model.fakeQuantization, fq.ranges.count == ranges.count { fq.ranges = ranges }
    }
}

/// A duration in seconds.
public func seconds(_ d: Duration) -> Double {
    let c = d.components
    return Double(c.seconds) + Double(c.attoseconds) * 1e-18
}
