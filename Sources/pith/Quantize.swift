import ArgumentParser
import Foundation
import PithFormat
import PithNN
import PithQuant
import PithRuntime

/// `pith quantize CHECKPOINT -o model.pith`: the fully integer model (uint8 activations,
/// int8 weights), calibrated on training images, with the accuracy of the float model
/// and of the integer model — run by PithRuntime itself — on the validation split.
struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize a trained checkpoint to an int8 .pith file.",
        discussion: "A float checkpoint is calibrated on training images (post-training quantization, --method). A checkpoint trained with 'pith train --qat' is exported as the integer model its training simulated, with the ranges it tracked (unless --method asks for a calibration).")

    @Argument(help: "Checkpoint written by 'pith train'.")
    var checkpoint: String

    @Option(name: .shortAndLong, help: "The .pith file to write.")
    var output: String

    @Option(help: "Training images used for calibration.")
    var calibration: Int = 1000

    @Option(help: "Calibration method: \(CalibrationMethod.allCases.map(\.rawValue).joined(separator: ", ")) (default: the ranges tracked by quantization-aware training, else minmax).")
    var method: CalibrationMethod?

    @Option(help: "Percentile for --method percentile.")
    var percentile: Double = 99.99

    @Flag(help: "Store every section raw (no zstd): for readers built without a zstd decoder (microcontrollers).")
    var raw = false

    @Option(help: "Data set (default: the checkpoint's).")
    var data: String?

    @Option(name: .customLong("mnist-dir"), help: "Folder holding the MNIST IDX files.")
    var mnistDirectory: String = DataSource.defaultMNISTDirectory

    func validate() throws {
        guard calibration >= 1 && calibration <= 1_000_000 else { throw ValidationError("--calibration must be between 1 and 1000000") }
        guard percentile > 50 && percentile <= 100 else { throw ValidationError("--percentile must be in (50, 100]") }
    }

    func run() throws {
        let ckpt = try Checkpoint(path: checkpoint)
        let dataName = data ?? ckpt.config.data
        try OutputPath.refuseSameFile("quantize", outputs: [.init("-o", output)],
                                      inputs: [.init("the input checkpoint", checkpoint)] + OutputPath.dataInputs(dataName, mnistDirectory: mnistDirectory))
        let model = try ckpt.model(path: checkpoint)
        let d = model.description
        let splits = try DataSource.named(dataName, mnistDirectory: mnistDirectory).load()
        guard d.inputFeatures == splits.train.featureCount else {
            throw PithError.mismatch("\(checkpoint): model '\(d.name)' takes \(d.inputFeatures) input values but \(dataName) has \(splits.train.featureCount)")
        }
        var metadata = try exportMetadata(checkpoint: checkpoint, ckpt: ckpt, description: d, dataName: dataName)
        var pith: PithModel
        if method == nil, model.fakeQuantization != nil {
            let qat = ckpt.config.qat ?? QATConfig()
            metadata["quantization.method"] = .string("quantization-aware training, \(ckpt.epochsDone) epochs, ranges by moving min/max (momentum \(qat.momentum))"
                                                     + (ckpt.config.startedFrom.map { ", fine-tuned from \($0)" } ?? ""))
            pith = try PostTrainingQuantizer.exportQuantizationAware(model, metadata: metadata)
        } else {
            let method = method ?? .minmax
            metadata["quantization.method"] = .string("\(method.rawValue)\(method == .percentile ? " \(percentile)" : ""), \(min(calibration, splits.train.count)) training images")
            let calibrationSet = splits.train.slice(0..<min(calibration, splits.train.count))
            pith = try PostTrainingQuantizer.quantize(model, calibration: calibrationSet, metadata: metadata, method: method, percentile: percentile)
        }
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
        let int8Accuracy = try Self.accuracy(of: try PithFile(bytes: encoded), on: splits.validation)
        pith.metadata["provenance.accuracy.float"] = .double(floatAccuracy)
        pith.metadata["provenance.accuracy.int8"] = .double(int8Accuracy)
        let writeOptions = raw ? uncompressed : WriteOptions()
        do { try PithWriter.write(pith, to: output, options: writeOptions) } catch { throw PithError.cannotWrite(path: output, problem: error.description) }
        let file = try FormatFiles.open(output)
        print("validation accuracy: float \(percent(floatAccuracy)), int8 \(percent(int8Accuracy)) (PithRuntime)")
        let reportImages = splits.validation.slice(0..<min(200, splits.validation.count))
        print("per layer, on \(reportImages.count) validation images (float model against the integer simulation):")
        print(LayerReport.table(try PostTrainingQuantizer.report(model, quantized: pith, images: reportImages)))
        print(Report.tensorTable(file))
        print("wrote \(output): \(file.header.fileSize) bytes")
    }

    /// Accuracy of the file's model on `data`, run by the runtime in batches.
    static func accuracy(of file: PithFile, on data: Dataset) throws -> Double {
        let predicted = try predictions(of: file, on: data)
        return Double(zip(predicted, data.labels).filter { $0 == Int($1) }.count) / Double(max(data.count, 1))
    }

    /// The class the file's model predicts for every sample (arg max of its outputs), run by
    /// the runtime in batches of 500.
    static func predictions(of file: PithFile, on data: Dataset) throws -> [Int] {
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

extension CalibrationMethod: ExpressibleByArgument {}
