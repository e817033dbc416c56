import PithIO
import ArgumentParser
import PithPipeline
import PithNN

/// `pith eval CHECKPOINT`: accuracy and loss on a split.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate a checkpoint on the test (or another) split.")

    @Argument(help: "Checkpoint written by 'pith train'.")
    var checkpoint: String

    @Option(help: "Split: test, validation or train.")
    var split: String = "test"

    @OptionGroup var dataOptions: DataOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard ["test", "validation", "train"].contains(split) else {
            throw ValidationError("--split must be test, validation or train")
        }
    }

    func run() throws {
        let ckpt = try Checkpoint(path: checkpoint)
        let model = try ckpt.model(path: checkpoint)
        let splits = try dataOptions.load(ckpt.config.dataSet)
        let data = split == "test" ? splits.test : split == "validation" ? splits.validation : splits.train
        guard model.description.inputFeatures == data.featureCount else {
            throw PithError.mismatch("\(checkpoint): model '\(model.description.name)' takes \(model.description.inputFeatures) input values but \(data.name) has \(data.featureCount)")
        }
        let result = Evaluation(model: model, data: data)
        if json {
            print("{\"model\":\(JSONText.string(model.description.name)),\"data\":\(JSONText.string(data.name)),\"split\":\(JSONText.string(split)),"
                  + "\"epochs\":\(ckpt.epochsDone),\"accuracy\":\(JSONText.number(result.accuracy)),\"errors\":\(result.errors),\"count\":\(result.count),"
                  + "\"loss\":\(JSONText.number(result.loss)),\"simulatedInt8\":\(model.fakeQuantization != nil)}")
            return
        }
        print("model \(model.description.name), trained \(ckpt.epochsDone) epochs on \(ckpt.config.data)"
              + (model.fakeQuantization != nil ? " (quantization-aware: the figures are the simulated int8 model's)" : ""))
        print("\(data.name): accuracy \(String(format: "%.2f", result.accuracy * 100))% (\(result.errors) errors of \(result.count)), loss \(String(format: "%.4f", result.loss))")
    }
}
