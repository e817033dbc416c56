#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers see either the old file or the whole new one, never a
/// part: write a temporary file beside it, fsync, rename over the target, fsync the folder.
///
/// The temporary's name depends on the target alone (`FOLDER/.NAME.partial-write`), so a
/// write that was killed half-way leaves at most one stale temporary, and the next write
/// of the same file takes it over (truncated) and renames it into place. The temporary is
/// locked (flock) while it is written: a second writer of the same target at the same time
/// is refused instead of mixing its bytes into the first one's. Every failure — open,
/// write (ENOSPC, EFBIG), fchmod, fsync, close, rename — throws and removes the temporary;
/// the old file is then untouched.
public enum AtomicFile {
    /// The temporary file a write of `path` goes through.
    public static func temporaryPath(for path: String) -> String {
        let (folder, name) = split(path)
        return "\(folder)/.\(name).partial-write"
    }

    /// `mode`: the new file's permissions (0o755 for an executable).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(PithError) {
        let temporary = temporaryPath(for: path)
        func fail(_ problem: String) -> PithError { .cannotWrite(path: path, problem: problem) }
        let fd = try openLocked(temporary, mode: mode, path: path)
        let written = bytes.withUnsafeBufferPointer { writeAll(fd, $0) }
        var failure: String? = written == 0 ? nil : errorText(written)
        if failure == nil && fchmod(fd, mode) != 0 { failure = errorText(errno) }
        if failure == nil && fsync(fd) != 0 { failure = errorText(errno) }
        if failure == nil && rename(temporary, path) != 0 { failure = errorText(errno) }
        if failure != nil { unlink(temporary) }
        // Closing last releases the lock only once the temporary is renamed or removed.
        if close(fd) != 0 && failure == nil { failure = errorText(errno) }
        if let failure { throw fail(failure) }
        let dirFD = open(split(path).folder, O_RDONLY | O_CLOEXEC)
        guard dirFD >= 0 else { throw fail("written, but its folder cannot be opened to sync it (\(errorText(errno)))") }
        defer { close(dirFD) }
        // Some file systems cannot sync a folder (EINVAL); the rename is then as durable as they make it.
        if fsync(dirFD) != 0 && errno != EINVAL {
            throw fail("written, but its folder could not be synced to disk (\(errorText(errno)))")
        }
    }

    /// Opens `temporary` for writing, locked and empty. A stale one (its writer was killed)
    /// is taken over; one that another writer holds is refused. After the lock, the path
    /// must still name the file locked: a writer that renamed it away in between leaves
    /// the lock on the target, which must not be truncated.
    static func openLocked(_ temporary: String, mode: mode_t, path: String) throws(PithError) -> Int32 {
        while true {
            let fd = open(temporary, O_WRONLY | O_CREAT | O_CLOEXEC, mode)
            guard fd >= 0 else { throw .cannotWrite(path: path, problem: errorText(errno)) }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let code = errno
                close(fd)
                if code == EINTR { continue }
                throw .cannotWrite(path: path, problem: code == EWOULDBLOCK
                    ? "another write of this file is in progress (\(temporary) is locked)" : errorText(code))
            }
            var held = stat(), named = stat()
            guard fstat(fd, &held) == 0, stat(temporary, &named) == 0,
                  held.st_dev == named.st_dev, held.st_ino == named.st_ino else {
                close(fd)
                continue
            }
            guard ftruncate(fd, 0) == 0 else {
                let problem = errorText(errno)
                unlink(temporary)
                close(fd)
                throw .cannotWrite(path: path, problem: problem)
            }
            return fd
        }
    }

    /// The folder ("." when none) and the file name of `path`.
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

}

/// strerror's text for an errno value.
func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

/// Writes all of `bytes` to `fd` (again after a short write or EINTR): 0, or the errno
/// of the write that failed (ENOSPC, EFBIG, EIO).
private func writeAll(_ fd: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 && errno != EINTR { return errno }
        offset += max(n, 0)
    }
    return 0
}
