import ArgumentParser
import Foundation
import PithFormat
import PithNN
import PithPipeline
import PithQuant

/// `pith pack CHECKPOINT -o model.pith`: a trained model as a `.pith` file, with its
/// graph, weights (float32, or int8 per channel) and metadata including the validation
/// accuracy of exactly the weights stored.
struct Pack: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pack a trained checkpoint into a .pith file (graph, weights, metadata).",
        discussion: "Weight-only int8 (per output channel) or float32. The fully integer model comes from 'pith quantize'.")

    @Argument(help: "Checkpoint written by 'pith train'.")
    var checkpoint: String

    @Option(name: .shortAndLong, help: "The .pith file to write.")
    var output: String

    @Option(help: "Weights: int8 (symmetric per output channel) or float32.")
    var weights: WeightPrecision = .int8

    @Option(help: "zstd level for tensor data (1-22).")
    var level: Int32 = 3

    @Option(help: "Tensor-data sections: \(WriteOptions.Layout.allCases.map(\.rawValue).joined(separator: ", ")).")
    var layout: WriteOptions.Layout = .weightsApart

    @Flag(help: "Store every section raw (no zstd), usable in place from a memory map.")
    var raw = false

    @Flag(name: .customLong("no-filters"), help: "Never store weights row-delta filtered.")
    var noFilters = false

    @Option(help: "Data set for the accuracy recorded in the file (default: the checkpoint's).")
    var data: String?

    @Option(name: .customLong("mnist-dir"), help: "Folder holding the MNIST IDX files.")
    var mnistDirectory: String = DataSource.defaultMNISTDirectory

    @Flag(name: .customLong("no-eval"), help: "Do not measure accuracy (the file then records none).")
    var noEval = false

    func validate() throws {
        guard (1...22).contains(level) else { throw ValidationError("--level must be between 1 and 22") }
    }

    func run() throws {
        var options = WriteOptions()
        options.layout = layout
        options.dataLevel = raw ? nil : level
        options.structureLevel = raw ? nil : level
        options.filters = !noFilters
        let ckpt = try Checkpoint(path: checkpoint)
        // The checkpoint's data set (its label column, header and files) unless --data names another.
        let spec = data.map { DataSpec(name: $0) } ?? ckpt.config.dataSet
        let dataName = spec.name
        try OutputPath.refuseSameFile("pack", outputs: [.init("-o", output)],
                                      inputs: [.init("the input checkpoint", checkpoint)] + OutputPath.dataInputs(spec, mnistDirectory: mnistDirectory))
        let splits = noEval ? nil : try spec.source(mnistDirectory: mnistDirectory).load()
        let packed = try PackStage.run(checkpoint: checkpoint, output: output, weights: weights, dataName: dataName, splits: splits, options: options)
        let file = packed.file
        if let accuracy = packed.accuracy {
            print("validation accuracy: float \(percent(accuracy.float)), as stored (\(weights.rawValue) weights) \(percent(accuracy.stored))")
        }
        print(Report.tensorTable(file))
        print("wrote \(output): \(file.header.fileSize) bytes")
    }
}

extension WeightPrecision: ExpressibleByArgument {}
extension WriteOptions.Layout: ExpressibleByArgument {}
