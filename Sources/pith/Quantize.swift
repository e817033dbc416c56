import PithIO
import ArgumentParser
import Foundation
import PithNN
import PithONNX
import PithPipeline
import PithQuant

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
    var calibration: Int = QuantizeSettings().calibration

    @Option(help: "Calibration method: \(CalibrationMethod.allCases.map(\.rawValue).joined(separator: ", ")) (default: the ranges tracked by quantization-aware training, else minmax).")
    var method: CalibrationMethod?

    @Option(help: "Percentile for --method percentile.")
    var percentile: Double = QuantizeSettings().percentile

    @Flag(help: "Print one JSON object instead of the tables.")
    var json = false

    @Flag(help: "Store every section raw (no zstd): for readers built without a zstd decoder (microcontrollers).")
    var raw = false

    @Option(help: "Data set (default: the checkpoint's).")
    var data: String?

    @Option(name: .customLong("mnist-dir"), help: "Folder holding the MNIST IDX files.")
    var mnistDirectory: String = DataSource.defaultMNISTDirectory

    var settings: QuantizeSettings {
        var q = QuantizeSettings()
        (q.calibration, q.method, q.percentile, q.raw) = (calibration, method, percentile, raw)
        return q
    }

    func validate() throws {
        do { try settings.validate() } catch { throw ValidationError(error.description) }
    }

    /// A thin adapter over `QuantizeStage.run`.
    func run() throws {
        // An ONNX model takes --data (default mnist); a checkpoint records its own.
        let ckpt = try ONNXImport.checkpointOrONNX(path: checkpoint, data: data ?? "mnist")
        // The checkpoint's data set (its label column, header and files) unless --data names another.
        let spec = data.map { DataSpec(name: $0) } ?? ckpt.config.dataSet
        let dataName = spec.name
        try OutputPath.refuseSameFile("quantize", outputs: [.init("-o", output)],
                                      inputs: [.init("the input checkpoint", checkpoint)] + OutputPath.dataInputs(spec, mnistDirectory: mnistDirectory))
        let splits = try spec.source(mnistDirectory: mnistDirectory).load()
        let q = try QuantizeStage.run(checkpoint: checkpoint, settings: settings, dataName: dataName, splits: splits, output: output)
        if json {
            print("{\"output\":\(JSONText.string(output)),\"bytes\":\(q.file.header.fileSize),\"floatAccuracy\":\(JSONText.number(q.floatAccuracy)),"
                  + "\"int8Accuracy\":\(JSONText.number(q.int8Accuracy)),\"split\":\"validation\"}")
            return
        }
        print("validation accuracy: float \(percent(q.floatAccuracy)), int8 \(percent(q.int8Accuracy)) (PithRuntime)")
        print("per layer, on \(q.layerSamples) validation images (float model against the integer simulation):")
        print(q.layerTable)
        print(q.tensorTable)
        print("wrote \(output): \(q.file.header.fileSize) bytes")
    }
}

extension CalibrationMethod: ExpressibleByArgument {}
