import Foundation
import PithFormat
import PithNN
import PithQuant

/// The pack stage: a trained checkpoint as a `.pith` file with float32 or weight-only int8
/// weights (per output channel), and the validation accuracy of exactly the weights stored.
public enum PackStage {
    public struct Outcome {
        public var file: PithFile
        /// Validation accuracy of the float model and of the stored weights (nil: not measured).
        public var accuracy: (float: Double, stored: Double)?
    }

    /// Exports the checkpoint at `checkpoint` to `output` and opens the result. With `splits`,
    /// measures validation accuracy of the float model and of the stored weights and records
    /// both in the metadata.
    public static func run(checkpoint: String, output: String, weights: WeightPrecision, dataName: String,
                           splits: DataSplits?, options: WriteOptions) throws -> Outcome {
        let ckpt = try Checkpoint(path: checkpoint)
        let model = try ckpt.model(path: checkpoint)
        let d = model.description
        var metadata = try ExportMetadata.make(checkpoint: checkpoint, ckpt: ckpt, description: d, dataName: dataName)
        metadata["export.weights"] = .string(weights.rawValue)
        var accuracy: (float: Double, stored: Double)? = nil
        if let splits {
            try ExportMetadata.checkInputs(d, checkpoint: checkpoint, data: splits.validation, dataName: dataName)
            let floatAccuracy = Evaluation(model: model, data: splits.validation).accuracy
            let stored = try ckpt.model(path: checkpoint)
            GraphExport.applyWeightPrecision(weights, to: stored)
            let storedAccuracy = Evaluation(model: stored, data: splits.validation).accuracy
            metadata["provenance.accuracy.float"] = .double(floatAccuracy)
            metadata[weights == .int8 ? "provenance.accuracy.int8" : "provenance.accuracy.stored"] = .double(storedAccuracy)
            accuracy = (floatAccuracy, storedAccuracy)
        }
        var pithModel = try GraphExport.pithModel(model, weights: weights, metadata: metadata)
        // The standardization in float in front of the graph: the file takes raw features.
        if let st = model.standardization { pithModel = try StandardizationExport.prepend(st, to: pithModel) }
        try checkWritable(output)
        do {
            try PithWriter.write(pithModel, to: output, options: options)
        } catch {
            throw PithError.cannotWrite(path: output, problem: error.description)
        }
        return Outcome(file: try FormatFiles.open(output), accuracy: accuracy)
    }
}
