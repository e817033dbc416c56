import ArgumentParser
import PithPipeline
import Foundation
import PithNN
import PithTensor

/// `pith cv MODEL --folds K`: k-fold cross-validation on the train and validation splits.
struct CrossValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cv",
        abstract: "k-fold cross-validation: train K models, each tested on the fold it did not see.")

    @Argument(help: "Model description file, or a name under models/.")
    var model: String

    @Option(help: "Number of folds.")
    var folds: Int = 5

    @Option(name: .customLong("models-dir"), help: "Folder of model descriptions.")
    var modelsDirectory = "models"

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var training: TrainingOptions

    func validate() throws {
        guard folds >= 2 && folds <= 100 else { throw ValidationError("--folds must be between 2 and 100") }
    }

    func run() throws {
        let description = try ModelFiles.load(model, modelsDirectory: modelsDirectory)
        let splits = try dataOptions.load()
        let all = Dataset(name: splits.train.name, features: splits.train.features + splits.validation.features,
                          labels: splits.train.labels + splits.validation.labels,
                          sampleShape: splits.train.sampleShape, classes: splits.train.classes)
        guard all.count >= folds else {
            throw PithError.mismatch("\(all.count) samples are too few for \(folds) folds")
        }
        var rng = PithRandom(seed: training.seed, stream: 0xC5)
        let order = rng.permutation(all.count)
        var accuracies: [Double] = []
        for k in 0..<folds {
            let lo = all.count * k / folds, hi = all.count * (k + 1) / folds
            let held = Array(order[lo..<hi]), kept = Array(order[..<lo] + order[hi...])
            let fold = DataSplits(train: all.subset(kept, name: "fold\(k + 1)-train"),
                                  validation: all.subset(held, name: "fold\(k + 1)-held-out"),
                                  test: all.subset(held, name: "fold\(k + 1)-held-out"))
            var config = training.settings.config(model: description, data: dataOptions.name())
            config.seed = training.seed &+ UInt64(k)
            let trainer = try Trainer(config: config, description: description, splits: fold)
            try trainer.run(checkpointPath: Optional<String>.none)
            let result = Evaluation(model: trainer.model, data: fold.test)
            accuracies.append(result.accuracy)
            print(String(format: "fold %d/%d: %d train, %d held out, accuracy %.2f%%", k + 1, folds, kept.count, held.count, result.accuracy * 100))
        }
        let mean = accuracies.reduce(0, +) / Double(folds)
        let variance = accuracies.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(folds - 1)
        print(String(format: "%d-fold accuracy: %.2f%% ± %.2f (mean ± sample standard deviation)", folds, mean * 100, variance.squareRoot() * 100))
    }
}
