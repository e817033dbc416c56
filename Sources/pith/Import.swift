import ArgumentParser
import PithIO
import PithNN
import PithONNX

/// `pith import model.onnx -o teacher.ckpt`: an ONNX model (what PyTorch exports) as a Pith
/// checkpoint, its weights exactly the file's, ready to evaluate, distil from or quantize.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import an ONNX model as a Pith checkpoint (a teacher, or a float model to quantize).")

    @Argument(help: "The .onnx file (weights inside it).")
    var model: String?

    @Option(name: .shortAndLong, help: "The checkpoint to write.")
    var output: String?

    @Option(help: "The data set the model takes, recorded in the checkpoint for eval, distill and quantize (default: mnist).")
    var data = "mnist"

    @Option(help: "The model's name (default: the file's name without .onnx).")
    var name: String?

    @Flag(name: .customLong("list-ops"), help: "Print the ONNX ops the importer lowers, and exit.")
    var listOps = false

    func run() throws {
        if listOps {
            print(ONNXImport.supportedOps.sorted().joined(separator: "\n"))
            return
        }
        guard let model, let output else { throw ValidationError("give the .onnx file and -o CHECKPOINT (or --list-ops)") }
        let checkpoint = try ONNXImport.checkpoint(path: model, data: data, name: name)
        let d = try checkpoint.model(path: model).description
        try checkpoint.write(to: output)
        print("imported \(model): \(d.name), \(d.layers.count) layers, \(d.parameterCount) parameters → \(output)")
    }
}
