import Foundation

/// Reads a whole file, with errors that name the file.
public enum FileBytes {
    /// The file's bytes; refuses directories, missing files and files above `limit`.
    public static func read(_ path: String, limit: Int = 1 << 31) throws(PithError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .badFile(path: path, problem: "no such file")
        }
        if isDirectory.boolValue { throw .badFile(path: path, problem: "is a directory, not a file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .badFile(path: path, problem: "cannot be opened for reading")
        }
        defer { try? handle.close() }
        let size: UInt64
        do { size = try handle.seekToEnd(); try handle.seek(toOffset: 0) } catch {
            throw .badFile(path: path, problem: "cannot be read (\(error.localizedDescription))")
        }
        guard size <= UInt64(limit) else { throw .badFile(path: path, problem: "is larger than \(limit) bytes") }
        do {
            let data = try handle.readToEnd() ?? Data()
            return [UInt8](data)
        } catch {
            throw .badFile(path: path, problem: "cannot be read (\(error.localizedDescription))")
        }
    }

    /// The file's bytes, gunzipped when they start with the gzip magic.
    static func readMaybeGzip(_ path: String, limit: Int = 1 << 30) throws(PithError) -> [UInt8] {
        let raw = try read(path)
        guard Gzip.isGzip(raw) else { return raw }
        switch Gzip.decompress(raw, limit: limit) {
        case let .success(bytes): return bytes
        case let .failure(problem): throw .badFile(path: path, problem: problem.text)
        }
    }
}

/// Whether a plain file (not a directory) exists at `path`.
enum FileExists {
    static func check(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
