import PithFormat
import PithNN
import PithONNX
import PithQuant
import PithRuntime

/// The quantize stage: the fully integer model (uint8 activations, int8 weights) of a
/// checkpoint as a `.pith` file, calibrated on training samples (or with the ranges
/// quantization-aware training tracked), with the validation accuracy of the float model
/// and of the integer model as PithRuntime runs it.
public enum QuantizeStage {
    public struct Outcome {
        public var file: PithFile
        public var floatAccuracy: Double
        public var int8Accuracy: Double
        /// Per layer, on up to 200 validation samples: the float model against the integer simulation.
        public var layerTable: String
        /// Every tensor of the file: shape, dtype, quantization, bytes.
        public var tensorTable: String
        public var layerSamples: Int
    }

    /// Quantizes the checkpoint at `checkpoint` with `settings` (calibrating on `splits`'
    /// training split) and writes `output`.
    public static func run(checkpoint: String, settings: QuantizeSettings, dataName: String, splits: DataSplits, output: String) throws -> Outcome {
        let ckpt = try ONNXImport.checkpointOrONNX(path: checkpoint, data: dataName)
        let model = try ckpt.model(path: checkpoint)
        let d = model.description
        // The integer graph is the model on standardized inputs; the standardization runs in
        // float in front of it (StandardizationExport), so the file takes raw features.
        let st = model.standardization
        try ExportMetadata.checkInputs(d, checkpoint: checkpoint, data: splits.train, dataName: dataName)
        var metadata = try ExportMetadata.make(checkpoint: checkpoint, ckpt: ckpt, description: d, dataName: dataName)
        var pith: PithModel
        if settings.method == nil, model.fakeQuantization != nil {
            let qat = ckpt.config.qat ?? QATConfig()
            metadata["quantization.method"] = .string("quantization-aware training, \(ckpt.epochsDone) epochs, ranges by moving min/max (momentum \(qat.momentum))"
                                                     + (ckpt.config.startedFrom.map { ", fine-tuned from \($0)" } ?? ""))
            pith = try PostTrainingQuantizer.exportQuantizationAware(model, metadata: metadata)
        } else {
            let method = settings.method ?? .minmax
            let count = min(settings.calibration, splits.train.count)
            metadata["quantization.method"] = .string("\(method.rawValue)\(method == .percentile ? " \(settings.percentile)" : ""), \(count) training images")
            pith = try PostTrainingQuantizer.quantize(model, calibration: StandardizationExport.standardized(splits.train.slice(0..<count), st),
                                                      metadata: metadata, method: method, percentile: settings.percentile)
        }
        if let st { pith = try StandardizationExport.prepend(st, to: pith) }
        // The float accuracy is the model's own, without fake quantization.
        let fakeQuantization = model.fakeQuantization
        model.fakeQuantization = nil
        let floatAccuracy = Evaluation(model: model, data: splits.validation).accuracy
        model.fakeQuantization = fakeQuantization
        // The int8 accuracy is the runtime's on the file's model, which the file then records:
        // measured on an uncompressed encoding (the same tensors, without the zstd pass).
        var uncompressed = WriteOptions()
        uncompressed.dataLevel = nil
        uncompressed.structureLevel = nil
        let encoded = try PithWriter.encode(pith, options: uncompressed).bytes
        let int8Accuracy = try RuntimePredictions.accuracy(of: try PithFile(bytes: encoded), on: splits.validation)
        pith.metadata["provenance.accuracy.float"] = .double(floatAccuracy)
        pith.metadata["provenance.accuracy.int8"] = .double(int8Accuracy)
        try checkWritable(output)
        do { try PithWriter.write(pith, to: output, options: settings.raw ? uncompressed : WriteOptions()) } catch {
            throw PithError.cannotWrite(path: output, problem: error.description)
        }
        let file = try FormatFiles.open(output)
        let reportImages = splits.validation.slice(0..<min(200, splits.validation.count))
        let layers = LayerReport.table(try PostTrainingQuantizer.report(model, quantized: StandardizationExport.strip(pith),
                                                                        images: StandardizationExport.standardized(reportImages, st)))
        return Outcome(file: file, floatAccuracy: floatAccuracy, int8Accuracy: int8Accuracy, layerTable: layers,
                       tensorTable: Report.tensorTable(file), layerSamples: reportImages.count)
    }
}

/// The classes a `.pith` model predicts, run by PithRuntime.
public enum RuntimePredictions {
    /// Accuracy of the file's model on `data`, run by the runtime in batches.
    public static func accuracy(of file: PithFile, on data: Dataset) throws -> Double {
        let predicted = try classes(of: file, on: data)
        return Double(zip(predicted, data.labels).filter { $0 == Int($1) }.count) / Double(max(data.count, 1))
    }

    /// The class the file's model predicts for every sample (arg max of its outputs, the
    /// first on a tie), run by the runtime in batches of 500.
    public static func classes(of file: PithFile, on data: Dataset) throws -> [Int] {
        let runner = try Interpreter(file: file, maxBatch: 500)
        var predicted: [Int] = []
        predicted.reserveCapacity(data.count)
        var start = 0
        while start < data.count {
            let end = min(start + 500, data.count)
            let logits = try runner.run(data.batch(Array(start..<end)[...]).x.scalars, batch: end - start)
            let k = runner.outputElements
            for r in 0..<(end - start) {
                var best = 0
                for j in 1..<k where logits[r * k + j] > logits[r * k + best] { best = j }
                predicted.append(best)
            }
            start = end
        }
        return predicted
    }
}
