import PithIO
import PithNN

extension ONNXImport {
    /// A checkpoint of `model` as an import writes it: recorded as taking `data`, 0 epochs
    /// done of 1 (`pith train --resume` would train one), Adam's state fresh.
    public static func importedCheckpoint(_ model: Model, data: String) -> Checkpoint {
        let config = TrainingConfig(modelText: model.description.text, data: data, seed: 0, epochs: 1, batchSize: 128,
                                    optimizer: OptimizerConfig(kind: .adam), schedule: Schedule(kind: .constant, baseLR: 1e-3))
        return Checkpoint(config: config, model: model, optimizer: Optimizer(config.optimizer, parameters: model.parameters), epochsDone: 0, history: [])
    }

    /// The Pith checkpoint of the ONNX file at `path` (read whole, at most 2 GiB): its
    /// model with the file's weights, recorded as taking `data`, 0 epochs done of 1 — what
    /// `pith import` writes, and what `pith distill --teacher` and `pith quantize` read in
    /// place of a checkpoint when given an `.onnx` file.
    public static func checkpoint(path: String, data: String, name: String? = nil) throws(PithError) -> Checkpoint {
        let bytes: [UInt8]
        do { bytes = try BoundedFile.read(path, limit: 1 << 31) } catch { throw .badFile(path: path, problem: error.problem) }
        let base = String(path.split(separator: "/").last ?? "model")
        let imported: ONNXImport
        do { imported = try ONNXImport(try ONNXModel(bytes: bytes), name: name ?? (base.hasSuffix(".onnx") ? String(base.dropLast(5)) : base)) } catch {
            throw .badFile(path: path, problem: "\(error)")
        }
        return importedCheckpoint(imported.model(), data: data)
    }

    /// A checkpoint file, or an ONNX file (`.onnx`) imported as one taking `data`.
    public static func checkpointOrONNX(path: String, data: String) throws(PithError) -> Checkpoint {
        path.hasSuffix(".onnx") ? try checkpoint(path: path, data: data) : try Checkpoint(path: path)
    }
}
