import Foundation
import PithNN

/// Finds model descriptions and recipes: a path to a file; else `NAME.EXTENSION` in the
/// models folder (`--models-dir`, default `models`, relative to the working directory);
/// else the built-in copy of the repository's models/ (tools/embed-models), so that the
/// built-in names work from any working directory.
public enum ModelFiles {
    /// A file found: its path (or `built-in NAME.EXT`) and its bytes.
    public struct Found {
        public var path: String
        public var bytes: [UInt8]
        /// True for the built-in copy (there is no file to protect or hash).
        public var builtIn: Bool
    }

    /// The file at `nameOrPath` (tried relative to `base` first, when given: a recipe's folder),
    /// else `modelsDirectory/NAME.EXTENSION`, else the built-in `NAME.EXTENSION`.
    public static func locate(_ nameOrPath: String, modelsDirectory: String, extension ext: String, kind: String,
                              relativeTo base: String? = nil, limit: Int) throws(PithError) -> Found {
        if let path = try? find(nameOrPath, modelsDirectory: modelsDirectory, extension: ext, kind: kind, relativeTo: base) {
            return Found(path: path, bytes: try FileBytes.read(path, limit: limit), builtIn: false)
        }
        if let text = BuiltinModels.files["\(nameOrPath).\(ext)"] {
            return Found(path: "built-in \(nameOrPath).\(ext)", bytes: Array(text.utf8), builtIn: true)
        }
        let names = BuiltinModels.files.keys.filter { $0.hasSuffix("." + ext) }.map { String($0.dropLast(ext.count + 1)) }.sorted()
        throw .badFile(path: nameOrPath, problem: "no such \(kind) file, no \(modelsDirectory)/\(nameOrPath).\(ext), and no built-in \(kind) of that name (built in: \(names.joined(separator: ", ")))")
    }

    /// The path of the file `nameOrPath` names on disk (see `locate`; no built-in copies).
    public static func find(_ nameOrPath: String, modelsDirectory: String, extension ext: String, kind: String,
                            relativeTo base: String? = nil) throws(PithError) -> String {
        if let base, !nameOrPath.hasPrefix("/") {
            let beside = base + "/" + nameOrPath
            if FileManager.default.fileExists(atPath: beside) { return beside }
        }
        if FileManager.default.fileExists(atPath: nameOrPath) { return nameOrPath }
        let candidate = "\(modelsDirectory)/\(nameOrPath).\(ext)"
        guard FileManager.default.fileExists(atPath: candidate) else {
            throw .badFile(path: nameOrPath, problem: "no such \(kind) file, and no \(candidate)")
        }
        return candidate
    }

    /// The model description `nameOrPath` names, parsed.
    public static func load(_ nameOrPath: String, modelsDirectory: String = "models", relativeTo base: String? = nil) throws(PithError) -> ModelDescription {
        let found = try locate(nameOrPath, modelsDirectory: modelsDirectory, extension: "model", kind: "model",
                               relativeTo: base, limit: FileBytes.Limit.modelDescription)
        guard let text = String(validating: found.bytes, as: UTF8.self) else {
            throw .badFile(path: found.path, problem: "is not UTF-8 text")
        }
        return try ModelDescription(parsing: text, source: found.path)
    }
}
