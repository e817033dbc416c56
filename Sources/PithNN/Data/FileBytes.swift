#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file, with errors that name the file, and with a bound on what it reads.
///
/// Only regular files are read: a device (`/dev/zero` has size 0 by seek and no end by
/// read), a pipe, a socket or a directory is refused before any read. The bytes are read
/// in chunks into a buffer of at most `min(st_size, limit) + 1` bytes, so neither a wrong
/// size from `fstat` nor a file that grows while it is read can make the reader allocate
/// more than that; a file that turns out longer (or shorter) than its size is refused.
public enum FileBytes {
    /// The cap, in bytes, for each kind of file Pith reads. Every reader passes one.
    public enum Limit {
        /// A checkpoint (`Checkpoint`): magic, version and header length (20 bytes), the
        /// JSON header (≤ `Checkpoint.maxHeader`), the float count (8), at most
        /// `Checkpoint.maxFloats` floats of 4 bytes, and the CRC (4): about 8 GiB.
        public static let checkpoint = 20 + Checkpoint.maxHeader + 8 + 4 * Checkpoint.maxFloats + 4
        /// A data file as stored (CSV or IDX, plain or gzip): 1 GiB.
        public static let dataFile = 1 << 30
        /// A gzip data file once gunzipped (CSV or IDX): 1 GiB.
        public static let decompressedData = 1 << 30
        /// A recipe (`pith pipeline`): 1 MiB of text.
        public static let recipe = 1 << 20
        /// A model description (`ModelDescription`): 1 MiB of text.
        public static let modelDescription = 1 << 20
        /// A pipeline manifest (JSON): 16 MiB.
        public static let manifest = 1 << 24
        /// A `.pith` file: 4 GiB, the format's own largest file (PithFormat's `Limits.maxFileSize`).
        public static let pithFile = 1 << 32
        /// An executable (the `pith-run` runner): 256 MiB.
        public static let executable = 1 << 28
    }

    /// Bytes asked of one `read` call.
    static let chunk = 1 << 20

    /// The file's bytes; refuses missing files, anything that is not a regular file, and
    /// files of more than `limit` bytes (one of `Limit`; the default is 2 GiB).
    public static func read(_ path: String, limit: Int = 1 << 31) throws(PithError) -> [UInt8] {
        func bad(_ problem: String) -> PithError { .badFile(path: path, problem: problem) }
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC) } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw bad("no such file") }
            throw bad("cannot be opened for reading (\(errorText(code)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw bad("cannot be read (\(errorText(errno)))") }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR { throw bad("is a directory, not a regular file") }
        guard type == S_IFREG else { throw bad("is not a regular file (a device, pipe or socket)") }
        guard info.st_size >= 0, UInt64(info.st_size) <= UInt64(max(limit, 0)) else {
            throw bad("is larger than \(limit) bytes")
        }
        let size = Int(info.st_size)
        // One byte of room beyond the size: reading it means the file is longer than fstat said.
        let capacity = size + 1
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            (count, failure) = readAll(fd, buffer, chunk: chunk)
        }
        if failure != 0 { throw bad("cannot be read (\(errorText(failure)))") }
        guard bytes.count == size else {
            throw bad("changed while it was read: \(bytes.count > size ? "longer" : "shorter") than its size of \(size) bytes")
        }
        return bytes
    }

    /// The file's bytes, gunzipped when they start with the gzip magic: at most
    /// `Limit.dataFile` bytes read and `Limit.decompressedData` bytes gunzipped.
    static func readMaybeGzip(_ path: String) throws(PithError) -> [UInt8] {
        let raw = try read(path, limit: Limit.dataFile)
        guard Gzip.isGzip(raw) else { return raw }
        switch Gzip.decompress(raw, limit: Limit.decompressedData) {
        case let .success(bytes): return bytes
        case let .failure(problem): throw .badFile(path: path, problem: problem.text)
        }
    }
}

/// Reads `fd` into `buffer` until it is full or the file ends, at most `chunk` bytes per
/// call: the bytes read, and 0 or the errno of a failed read.
private func readAll(_ fd: Int32, _ buffer: UnsafeMutableBufferPointer<UInt8>, chunk: Int) -> (Int, Int32) {
    var count = 0
    while count < buffer.count {
        let n = read(fd, buffer.baseAddress! + count, min(chunk, buffer.count - count))
        if n == 0 { break }
        if n < 0 && errno != EINTR { return (count, errno) }
        count += max(n, 0)
    }
    return (count, 0)
}

/// Whether a plain file (not a directory) exists at `path`.
enum FileExists {
    static func check(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT != S_IFDIR
    }
}

/// strerror's text for an errno value.
func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
