import ArgumentParser
import Foundation
import PithFormat
import PithNN
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
        let dataName = data ?? ckpt.config.data
        try OutputPath.refuseSameFile("pack", outputs: [.init("-o", output)],
                                      inputs: [.init("the input checkpoint", checkpoint)] + OutputPath.dataInputs(dataName, mnistDirectory: mnistDirectory))
        let splits = noEval ? nil : try DataSource.named(dataName, mnistDirectory: mnistDirectory).load()
        let (file, accuracy) = try Self.write(checkpoint: checkpoint, ckpt: ckpt, output: output, weights: weights,
                                              dataName: dataName, splits: splits, options: options)
        if let accuracy {
            print("validation accuracy: float \(percent(accuracy.float)), as stored (\(weights.rawValue) weights) \(percent(accuracy.stored))")
        }
        print(Report.tensorTable(file))
        print("wrote \(output): \(file.header.fileSize) bytes")
    }

    /// Exports `ckpt`, read from the file `checkpoint`, to `output` and opens the result. With
    /// `splits`, measures validation accuracy of the float model and of the stored
    /// weights and records both in the metadata.
    static func write(checkpoint: String, ckpt: Checkpoint, output: String, weights: WeightPrecision, dataName: String,
                      splits: DataSplits?, options: WriteOptions) throws -> (PithFile, (float: Double, stored: Double)?) {
        let model = try ckpt.model(path: checkpoint)
        let d = model.description
        var metadata = try exportMetadata(checkpoint: checkpoint, ckpt: ckpt, description: d, dataName: dataName)
        metadata["export.weights"] = .string(weights.rawValue)
        var accuracy: (float: Double, stored: Double)? = nil
        if let splits {
            guard d.inputFeatures == splits.validation.featureCount else {
                throw PithError.mismatch("\(checkpoint): model '\(d.name)' takes \(d.inputFeatures) input values but \(dataName) has \(splits.validation.featureCount)")
            }
            let floatAccuracy = Evaluation(model: model, data: splits.validation).accuracy
            let stored = try ckpt.model(path: checkpoint)
            GraphExport.applyWeightPrecision(weights, to: stored)
            let storedAccuracy = Evaluation(model: stored, data: splits.validation).accuracy
            metadata["provenance.accuracy.float"] = .double(floatAccuracy)
            metadata[weights == .int8 ? "provenance.accuracy.int8" : "provenance.accuracy.stored"] = .double(storedAccuracy)
            accuracy = (floatAccuracy, storedAccuracy)
        }
        let pithModel = try GraphExport.pithModel(model, weights: weights, metadata: metadata)
        do {
            try PithWriter.write(pithModel, to: output, options: options)
        } catch {
            throw PithError.cannotWrite(path: output, problem: error.description)
        }
        return (try FormatFiles.open(output), accuracy)
    }
}

/// The metadata every exported file carries: the model, its input, and where it came from
/// (checkpoint name, XXH64 and epochs; data set).
func exportMetadata(checkpoint: String, ckpt: Checkpoint, description d: ModelDescription, dataName: String) throws -> Metadata {
    var metadata = Metadata()
    metadata["model.name"] = .string(d.name)
    metadata["model.task"] = .string("classification")
    metadata["model.labels"] = .strings((0..<d.classes).map(String.init))
    metadata["input.shape"] = .string(d.inputShape.map(String.init).joined(separator: ","))
    metadata["input.dtype"] = .string("float32")
    if dataName == "mnist" || dataName == "digits" {
        // MNIST grey levels are 0-255, the digits set's 0-16; the model saw them scaled to [0, 1].
        metadata["input.scale"] = .double(dataName == "mnist" ? 1.0 / 255 : 1.0 / 16)
    }
    let bytes = try FileBytes.read(checkpoint, limit: FileBytes.Limit.checkpoint)
    let name = (checkpoint as NSString).lastPathComponent
    metadata["provenance.source"] = .string("\(name) xxh64:\(hex(XXH64.hash(bytes))) (\(ckpt.epochsDone) epochs)")
    metadata["provenance.dataset"] = .string(dataName)
    return metadata
}

extension WeightPrecision: ExpressibleByArgument {}
extension WriteOptions.Layout: ExpressibleByArgument {}

func hex(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }

/// Opening `.pith` files from the command line: errors become one line naming the file.
enum FormatFiles {
    static func open(_ path: String) throws(PithError) -> PithFile {
        do { return try PithFile(path: path) } catch {
            throw .badFile(path: path, problem: error.description)
        }
    }
}
