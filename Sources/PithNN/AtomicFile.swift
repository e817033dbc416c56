import PithFormat

/// Writes a file atomically: the old file or the whole new one, never a part, and a
/// killed write leaves one `FOLDER/.NAME.partial-write` that the next write takes over.
/// The toolchain's name for `AtomicWrite` (PithFormat), whose comment gives the steps;
/// failures become `PithError.cannotWrite` naming the file.
public enum AtomicFile {
    /// The temporary file a write of `path` goes through.
    public static func temporaryPath(for path: String) -> String { AtomicWrite.temporaryPath(for: path) }

    /// `mode`: the new file's permissions (0o755 for an executable).
    public static func write(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o644) throws(PithError) {
        if let problem = AtomicWrite.write(bytes, to: path, mode: mode) { throw .cannotWrite(path: path, problem: problem) }
    }
}
