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

    /// Largest .onnx file read (weights inside): 2 GiB, protobuf's own limit.
    static let maxBytes = 1 << 31

    func run() throws {
        if listOps {
            print(ONNXImport.supportedOps.sorted().joined(separator: "\n"))
            return
        }
        guard let model, let output else { throw ValidationError("give the .onnx file and -o CHECKPOINT (or --list-ops)") }
        let bytes: [UInt8]
        do { bytes = try BoundedFile.read(model, limit: Self.maxBytes) } catch { throw PithError.badFile(path: model, problem: error.problem) }
        let base = String(model.split(separator: "/").last ?? "model")
        let modelName = name ?? (base.hasSuffix(".onnx") ? String(base.dropLast(5)) : base)
        let imported: ONNXImport
        do { imported = try ONNXImport(try ONNXModel(bytes: bytes), name: modelName) } catch { throw PithError.badFile(path: model, problem: "\(error)") }
        let m = imported.model()
        let config = TrainingConfig(modelText: imported.description.text, data: data, seed: 0, epochs: 1, batchSize: 128,
                                    optimizer: OptimizerConfig(kind: .adam), schedule: Schedule(kind: .constant, baseLR: 1e-3))
        let checkpoint = Checkpoint(config: config, model: m, optimizer: Optimizer(config.optimizer, parameters: m.parameters), epochsDone: 0, history: [])
        try checkpoint.write(to: output)
        print("imported \(model): \(imported.description.name), \(imported.description.layers.count) layers, \(imported.description.parameterCount) parameters → \(output)")
    }
}
