import Foundation
import PithFormat
import PithNN

/// The metadata every exported file carries: the model, its input, and where it came from
/// (checkpoint name, XXH64 and epochs; data set).
public enum ExportMetadata {
    public static func make(checkpoint: String, ckpt: Checkpoint, description d: ModelDescription, dataName: String) throws -> Metadata {
        var metadata = Metadata()
        metadata["model.name"] = .string(d.name)
        metadata["model.task"] = .string("classification")
        // The classes' names (a CSV's string labels), else their numbers.
        let names = ckpt.config.classNames.flatMap { $0.count == d.classes ? $0 : nil }
        metadata["model.labels"] = .strings(names ?? (0..<d.classes).map(String.init))
        metadata["input.shape"] = .string(d.inputShape.map(String.init).joined(separator: ","))
        metadata["input.dtype"] = .string("float32")
        if dataName == "mnist" || dataName == "digits" {
            // MNIST grey levels are 0-255, the digits set's 0-16; the model saw them scaled to [0, 1].
            metadata["input.scale"] = .double(dataName == "mnist" ? 1.0 / 255 : 1.0 / 16)
        }
        // The hash of what the file was made from: the model description and its weights (not
        // the checkpoint's bytes, which also hold paths such as a distillation's teachers), so
        // the same recipe gives the same file in any output folder.
        var h = XXH64.hash(Array(ckpt.config.modelText.utf8))
        for p in ckpt.parameters { h = p.withUnsafeBytes { XXH64.hash($0, seed: h) } }
        let name = (checkpoint as NSString).lastPathComponent
        metadata["provenance.source"] = .string("\(name), model and weights xxh64:\(hex(h)) (\(ckpt.epochsDone) epochs)")
        metadata["provenance.dataset"] = .string(dataName)
        return metadata
    }

    /// Refuses data whose samples are not the model's input size.
    static func checkInputs(_ d: ModelDescription, checkpoint: String, data: Dataset, dataName: String) throws(PithError) {
        guard d.inputFeatures == data.featureCount else {
            throw .mismatch("\(checkpoint): model '\(d.name)' takes \(d.inputFeatures) input values but \(dataName) has \(data.featureCount)")
        }
    }
}
