import ArgumentParser
import PithIO
import PithNN
import PithONNX
import PithPipeline

/// `pith import model.onnx -o teacher.ckpt`: an ONNX model (what PyTorch exports) as a Pith
/// checkpoint, its weights exactly the file's, ready to evaluate, distil from or quantize;
/// `pith import weights.safetensors --model DESCRIPTION -o teacher.ckpt` the same for a
/// state dict and the description of its layers.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import an ONNX model, or a safetensors state dict with its model description, as a Pith checkpoint.")

    @Argument(help: "The .onnx file (weights inside it), or a .safetensors state dict (with --model).")
    var model: String?

    @Option(name: .customLong("model"), help: "For a .safetensors file: the model description it holds the weights of (a name under models/ or a .model file).")
    var description: String?

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
        let checkpoint: Checkpoint
        if model.hasSuffix(".safetensors") {
            guard let description else { throw ValidationError("a .safetensors file needs --model DESCRIPTION (the layers its weights fill)") }
            let d = try ModelFiles.load(description)
            let bytes: [UInt8]
            do { bytes = try BoundedFile.read(model, limit: 1 << 32) } catch { throw PithError.badFile(path: model, problem: error.problem) }
            checkpoint = ONNXImport.importedCheckpoint(try SafeTensors.model(d, entries: try SafeTensors.decode(bytes, path: model), path: model), data: data)
        } else {
            checkpoint = try ONNXImport.checkpoint(path: model, data: data, name: name)
        }
        let d = try ModelDescription(parsing: checkpoint.config.modelText, source: model)
        try checkpoint.write(to: output)
        print("imported \(model): \(d.name), \(d.layers.count) layers, \(d.parameterCount) parameters → \(output)")
    }
}
