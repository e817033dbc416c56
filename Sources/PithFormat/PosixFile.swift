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

    /// Writes `bytes` to `path` through a temporary file and a rename.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FormatError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = pith_open_write(temporary)
        guard fd >= 0 else { throw .io(path: path, reason: errorText()) }
        var failure: String? = nil
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if pith_errno() == EINTR { continue }
                    failure = errorText()
                    return
                }
                done += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = errorText() }
        if close(fd) != 0 && failure == nil { failure = errorText() }
        if failure == nil && rename(temporary, path) != 0 { failure = errorText() }
        if let failure {
            unlink(temporary)
            throw .io(path: path, reason: failure)
        }
    }
}
#else
/// No files on a bare-metal target: models come as bytes in memory.
final class FileMapping {}
#endif
