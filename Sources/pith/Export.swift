import ArgumentParser
import PithNN
import PithONNX

/// `pith export CHECKPOINT -o model.onnx`: a trained model as a float ONNX file for other
/// runtimes (docs/onnx.md).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export a checkpoint as a float ONNX model (opset 17).")

    @Argument(help: "Checkpoint written by 'pith train', 'pith distill' or 'pith import'.")
    var checkpoint: String

    @Option(name: .shortAndLong, help: "The .onnx file to write.")
    var output: String

    func run() throws {
        let ckpt = try Checkpoint(path: checkpoint)
        let model = try ckpt.model(path: checkpoint)
        let bytes: [UInt8]
        do { bytes = try ONNXExport.bytes(model) } catch { throw PithError.mismatch("\(checkpoint): \(error)") }
        try AtomicFile.write(bytes, to: output)
        print("exported \(model.description.name) (\(model.description.parameterCount) parameters, ONNX opset \(ONNXExport.opset)) → \(output), \(bytes.count) bytes")
    }
}
