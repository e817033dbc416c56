#if canImport(CPosix)
import CPosix

/// Reads a whole file or standard input with a bound on what it reads, and errors that name
/// the file — the one reader of data files for the toolchain (PithNN's `FileBytes`) and
/// pith-run. (PithFormat maps `.pith` files itself, PosixFile.swift.)
///
/// Only regular files are read: a device (`/dev/zero` has size 0 by seek and no end by
/// read), a pipe, a socket or a directory is refused before any read. The bytes are read
/// in chunks into a buffer of at most `min(st_size, limit) + 1` bytes, so neither a wrong
/// size from `fstat` nor a file that grows while it is read can make the reader allocate
/// more than that; a file that turns out longer (or shorter) than its size is refused.
public enum BoundedFile {
    /// Bytes asked of one `read` call.
    public static let chunk = 1 << 20

    /// The file's bytes; refuses missing files, anything that is not a regular file, and
    /// files of more than `limit` bytes.
    public static func read(_ path: String, limit: Int) throws(IOFailure) -> [UInt8] {
        func bad(_ problem: String) -> IOFailure { IOFailure(path, problem) }
        var fd: Int32
        repeat { fd = pith_open_read_nonblocking(path) } while fd < 0 && pith_errno() == EINTR
        guard fd >= 0 else {
            let code = pith_errno()
            if code == ENOENT || code == ENOTDIR { throw bad("no such file") }
            throw bad("cannot be opened for reading (\(errorText(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw bad("cannot be read (\(errorText(pith_errno())))") }
        if pith_is_directory(&info) != 0 { throw bad("is a directory, not a regular file") }
        guard pith_is_regular(&info) != 0 else { throw bad("is not a regular file (a device, pipe or socket)") }
        guard info.st_size >= 0, UInt64(info.st_size) <= UInt64(max(limit, 0)) else {
            throw bad("is larger than \(limit) bytes")
        }
        let size = Int(info.st_size)
        // One byte of room beyond the size: reading it means the file is longer than fstat said.
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
            (count, failure) = readAll(fd, buffer)
        }
        if failure != 0 { throw bad("cannot be read (\(errorText(failure)))") }
        guard bytes.count == size else {
            throw bad("changed while it was read: \(bytes.count > size ? "longer" : "shorter") than its size of \(size) bytes")
        }
        return bytes
    }

    /// Standard input to its end, refused once it passes `limit` bytes; `name` ("stdin")
    /// names it in errors.
    public static func readStandardInput(limit: Int, name: String = "stdin") throws(IOFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBufferPointer { CPosix.read(0, $0.baseAddress, $0.count) }
            if n < 0 {
                if pith_errno() == EINTR { continue }
                throw IOFailure(name, "cannot be read (\(errorText(pith_errno())))")
            }
            if n == 0 { return bytes }
            guard bytes.count + n <= limit else { throw IOFailure(name, "is larger than \(limit) bytes") }
            bytes.append(contentsOf: buffer[0..<n])
        }
    }

    /// Whether something other than a directory exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && pith_is_directory(&info) == 0
    }

    /// strerror's text for an errno value.
    public static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Reads `fd` into `buffer` until it is full or the file ends, at most `chunk` bytes per
    /// call: the bytes read, and 0 or the errno of a failed read.
    static func readAll(_ fd: Int32, _ buffer: UnsafeMutableBufferPointer<UInt8>) -> (Int, Int32) {
        var count = 0
        while count < buffer.count {
            let n = CPosix.read(fd, buffer.baseAddress! + count, min(chunk, buffer.count - count))
            if n == 0 { break }
            if n < 0 && pith_errno() != EINTR { return (count, pith_errno()) }
            count += max(n, 0)
        }
        return (count, 0)
    }
}
#endif
