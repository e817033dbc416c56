#if canImport(CPosix)
import CPosix

/// A read-only memory map of a whole file, unmapped when the last reference goes.
final class FileMapping {
    let bytes: UnsafeRawBufferPointer
    private let length: Int

    init(bytes: UnsafeRawBufferPointer, length: Int) {
        self.bytes = bytes
        self.length = length
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), length) }
    }
}

/// The few POSIX calls the format needs, without Foundation: map a file to read it,
/// and write one atomically (a temporary file in the same folder, fsync, rename), so a
/// failure never leaves a half-written `.pith` under the real name.
enum PosixFile {
    static func errorText() -> String { String(cString: strerror(pith_errno())) }

    /// Maps `path` after checking it is a regular, non-empty file within the size limit.
    static func map(_ path: String, limits: Limits) throws(FormatError) -> FileMapping {
        let fd = pith_open_read(path)
        guard fd >= 0 else { throw .io(path: path, reason: errorText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(path: path, reason: errorText()) }
        guard pith_is_regular(&info) != 0 else { throw .notARegularFile(path: path) }
        let size = UInt64(info.st_size)
        guard size > 0 else { throw .empty }
        guard size <= limits.maxFileSize else {
            throw .limitExceeded(field: "file size", value: size, limit: limits.maxFileSize)
        }
        guard let base = mmap(nil, Int(size), PROT_READ, MAP_PRIVATE, fd, 0), base != pith_map_failed() else {
            throw .io(path: path, reason: "mmap: " + errorText())
        }
        return FileMapping(bytes: UnsafeRawBufferPointer(start: base, count: Int(size)), length: Int(size))
    }

    /// Writes `bytes` to `path` atomically (`AtomicWrite`).
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FormatError) {
        if let problem = AtomicWrite.write(bytes, to: path) { throw .io(path: path, reason: problem) }
    }
}

/// Writes a file so that readers see either the old file or the whole new one, never a
/// part: write a temporary file beside it, fsync, rename over the target, fsync the folder.
///
/// The temporary's name depends on the target alone (`FOLDER/.NAME.partial-write`), so a
/// write that was killed half-way leaves at most one stale temporary, and the next write
/// of the same file takes it over (truncated) and renames it into place. The temporary is
/// locked (flock) while it is written: a second writer of the same target at the same time
/// is refused instead of mixing its bytes into the first one's. Every failure — open,
/// write (ENOSPC, EFBIG), fchmod, fsync, close, rename — is reported and removes the
/// temporary; the old file is then untouched. Foundation-free: the toolchain's
/// `AtomicFile` (PithNN) writes through this too.
public enum AtomicWrite {
    /// The temporary file a write of `path` goes through.
    public static func temporaryPath(for path: String) -> String {
        let (folder, name) = split(path)
        return "\(folder)/.\(name).partial-write"
    }

    /// nil when `bytes` are in place at `path` with permissions `mode`, else what went wrong.
    public static func write(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o644) -> String? {
        let temporary = temporaryPath(for: path)
        let fd: Int32
        switch openLocked(temporary, mode: mode) {
        case let .success(d): fd = d
        case let .failure(problem): return problem.text
        }
        let written = bytes.withUnsafeBufferPointer { writeAll(fd, $0) }
        var failure: String? = written == 0 ? nil : errorText(written)
        // The mode as a new file gets it (the umask applied), also for a temporary taken over.
        if failure == nil && fchmod(fd, mode_t(mode & ~pith_umask())) != 0 { failure = errorText(pith_errno()) }
        if failure == nil && fsync(fd) != 0 { failure = errorText(pith_errno()) }
        if failure == nil && rename(temporary, path) != 0 { failure = errorText(pith_errno()) }
        if failure != nil { unlink(temporary) }
        // Closing last releases the lock only once the temporary is renamed or removed.
        if close(fd) != 0 && failure == nil { failure = errorText(pith_errno()) }
        if let failure { return failure }
        let folder = pith_open_folder(split(path).folder)
        guard folder >= 0 else { return "written, but its folder cannot be opened to sync it (\(errorText(pith_errno())))" }
        defer { close(folder) }
        // Some file systems cannot sync a folder (EINVAL); the rename is then as durable as they make it.
        if fsync(folder) != 0 && pith_errno() != EINVAL {
            return "written, but its folder could not be synced to disk (\(errorText(pith_errno())))"
        }
        return nil
    }

    struct Problem: Error { let text: String }

    /// Opens `temporary` for writing, locked and empty. A stale one (its writer was killed)
    /// is taken over; one that another writer holds is refused. After the lock, the path
    /// must still name the file locked: a writer that renamed it away in between leaves
    /// the lock on the target, which must not be truncated.
    static func openLocked(_ temporary: String, mode: UInt32) -> Result<Int32, Problem> {
        while true {
            let fd = pith_open_create(temporary, mode)
            guard fd >= 0 else { return .failure(Problem(text: errorText(pith_errno()))) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let code = pith_errno()
                close(fd)
                if code == EINTR { continue }
                return .failure(Problem(text: code == EWOULDBLOCK
                    ? "another write of this file is in progress (\(temporary) is locked)" : errorText(code)))
            }
            var held = stat(), named = stat()
            guard fstat(fd, &held) == 0, stat(temporary, &named) == 0,
                  held.st_dev == named.st_dev, held.st_ino == named.st_ino else {
                close(fd)
                continue
            }
            guard ftruncate(fd, 0) == 0 else {
                let problem = errorText(pith_errno())
                unlink(temporary)
                close(fd)
                return .failure(Problem(text: problem))
            }
            return .success(fd)
        }
    }

    /// The folder ("." when none) and the file name of `path`.
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Writes all of `bytes` to `fd` (again after a short write or EINTR): 0, or the errno
    /// of the write that failed (ENOSPC, EFBIG, EIO).
    static func writeAll(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let n = CPosix.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && pith_errno() != EINTR { return pith_errno() }
            offset += max(n, 0)
        }
        return 0
    }
}
#else
/// No files on a bare-metal target: models come as bytes in memory.
final class FileMapping {}
#endif
