import ArgumentParser
import PithNN
import PithFormat
import PithONNX

/// `pith export CHECKPOINT -o model.onnx`: a trained model as a float ONNX file for other
/// runtimes; `pith export model.pith -o model.onnx` the integer model as QDQ ONNX
/// (docs/onnx.md).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export a checkpoint as a float ONNX model (opset 17), or its weights as safetensors.")

    @Argument(help: "Checkpoint written by 'pith train', 'pith distill' or 'pith import'; or an integer .pith file (written as QDQ ONNX).")
    var checkpoint: String

    @Option(name: .shortAndLong, help: "The file to write: .onnx, or .safetensors for the weights alone.")
    var output: String

    @Flag(help: "Write the weights as a safetensors state dict (F32, Pith's names: layer1.weight, ...), whatever the output's name.")
    var safetensors = false

    func run() throws {
        if checkpoint.hasSuffix(".pith") {
            // An integer model: QDQ ONNX.
            let file: PithFile
            do { file = try PithFile(path: checkpoint) } catch { throw PithError.badFile(path: checkpoint, problem: "\(error)") }
            let bytes: [UInt8]
            do { bytes = try ONNXExport.qdqBytes(file.model()) } catch { throw PithError.mismatch("\(checkpoint): \(error)") }
            try AtomicFile.write(bytes, to: output)
            print("exported the integer model \(checkpoint) as QDQ ONNX (opset 17) → \(output), \(bytes.count) bytes")
            return
        }
        let ckpt = try Checkpoint(path: checkpoint)
        let model = try ckpt.model(path: checkpoint)
        if safetensors || output.hasSuffix(".safetensors") {
            let tensors = zip(model.parameterNames, model.parameters).map { (name: $0, shape: $1.shape, values: $1.scalars) }
            let bytes = SafeTensors.encode(tensors, metadata: ["format": "pt", "pith.model": model.description.text])
            try AtomicFile.write(bytes, to: output)
            print("exported the \(tensors.count) weights of \(model.description.name) (\(model.description.parameterCount) parameters, safetensors F32) → \(output), \(bytes.count) bytes")
            return
        }
        let bytes: [UInt8]
        do { bytes = try ONNXExport.bytes(model) } catch { throw PithError.mismatch("\(checkpoint): \(error)") }
        try AtomicFile.write(bytes, to: output)
        print("exported \(model.description.name) (\(model.description.parameterCount) parameters, ONNX opset \(ONNXExport.opset)) → \(output), \(bytes.count) bytes")
    }
}
