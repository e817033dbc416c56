#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers see either the old file or the whole new one, never a
/// part: write a temporary file beside it, fsync, rename over the target, fsync the folder.
public enum AtomicFile {
    /// `mode`: the new file's permissions (0o755 for an executable).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(PithError) {
        let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode)
        guard fd >= 0 else { throw .cannotWrite(path: path, problem: String(cString: strerror(errno))) }
        var failure: String?
        bytes.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno)); return
                }
                offset += n
            }
        }
        if failure == nil && fchmod(fd, mode) != 0 { failure = String(cString: strerror(errno)) }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0 && failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil && rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temporary)
            throw .cannotWrite(path: path, problem: failure)
        }
        let dirFD = open(folder, O_RDONLY)
        if dirFD >= 0 { fsync(dirFD); close(dirFD) }
    }
}
