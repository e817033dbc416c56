import Foundation
import PithFormat
import PithNN

/// Opening `.pith` files from the toolchain: errors become one line naming the file.
public enum FormatFiles {
    /// Refuses `file` (at `path`) when a section is zstd-compressed: `reader` (the firmware,
    /// a cross runner) has no zstd decoder.
    public static func requireRaw(_ file: PithFile, path: String, reader: String) throws(PithError) {
        if let packed = file.sections.first(where: { $0.encoding != .raw }) {
            throw .badFile(path: path, problem: "section \(packed.kind.name) is zstd-compressed and \(reader) has no zstd decoder; write the model with --raw (pith quantize --raw, pith pack --raw)")
        }
    }

    public static func open(_ path: String) throws(PithError) -> PithFile {
        do { return try PithFile(path: path) } catch {
            throw .badFile(path: path, problem: error.description)
        }
    }
}

/// 16 lower-case hex digits.
public func hex(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

/// `x` (a fraction) as a percentage with two decimals.
public func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }

/// Fails early, before any training, when `path` cannot be created; creates its folder
/// (and the folders above it) when missing, as `mkdir -p` would.
public func checkWritable(_ path: String) throws(PithError) {
    let folder = (path as NSString).deletingLastPathComponent
    let dir = folder.isEmpty ? "." : folder
    var isDirectory: ObjCBool = false
    if !FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw .cannotWrite(path: path, problem: "folder '\(dir)' cannot be created")
        }
        isDirectory = true
    }
    guard isDirectory.boolValue else {
        throw .cannotWrite(path: path, problem: "'\(dir)' is not a folder")
    }
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw .cannotWrite(path: path, problem: "is a directory")
    }
    guard FileManager.default.isWritableFile(atPath: dir) else {
        throw .cannotWrite(path: path, problem: "folder '\(dir)' is not writable")
    }
}
