import Foundation
import PithNN

/// Refusing an output that is one of the command's own inputs (`pith quantize S -o S`), which
/// would otherwise be replaced by the output it was read to make.
public enum OutputPath {
    /// A file a command reads or writes: what it is to the command ("the input checkpoint",
    /// "-o") and its path as given.
    public struct File {
        public var role: String
        public var path: String
        public init(_ role: String, _ path: String) {
            self.role = role
            self.path = path
        }
    }

    /// Throws, before any work, when one of `outputs` is the same file as one of `inputs`:
    /// the same device and inode, following symbolic links, so another spelling of the path,
    /// a symbolic link and a hard link all count. An output that does not exist yet is fine,
    /// and so is an input that does not (reading it fails later, naming it).
    public static func refuseSameFile(_ command: String, outputs: [File], inputs: [File]) throws(PithError) {
        let existing = inputs.compactMap { input in identity(input.path).map { (input, $0) } }
        for output in outputs {
            // The output, and the temporary its atomic write goes through (truncated first).
            for (path, what) in [(output.path, ""), (AtomicFile.temporaryPath(for: output.path), "the temporary of ")] {
                guard let id = identity(path), let (input, _) = existing.first(where: { $0.1 == id }) else { continue }
                throw .mismatch("pith \(command): \(what)\(output.role) \(path) is \(input.role) \(input.path) (same file); choose another output")
            }
        }
    }

    /// The files a data set named as by --data is read from: the CSV file, or the MNIST IDX
    /// files (plain or gzipped) in `mnistDirectory`; none for the built-in digits.
    public static func dataInputs(_ spec: DataSpec, mnistDirectory: String) -> [File] {
        dataInputs(spec.name, mnistDirectory: mnistDirectory) + spec.extraFiles.map { File("the data file", $0) }
    }

    public static func dataInputs(_ data: String, mnistDirectory: String) -> [File] {
        switch data {
        case "digits": return []
        case "mnist":
            return ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
                .flatMap { base in ["", ".gz"].map { File("the MNIST file", mnistDirectory + "/" + base + $0) } }
        default: return [File("the --data file", data)]
        }
    }

    /// The device and inode of the file at `path` (symbolic links followed), or nil when there
    /// is none.
    static func identity(_ path: String) -> [UInt64]? {
        var s = stat()
        guard !path.isEmpty, stat(path, &s) == 0 else { return nil }
        return [UInt64(s.st_dev), UInt64(s.st_ino)]
    }
}
