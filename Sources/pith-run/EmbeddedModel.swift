import CPosix
import PithFormat

/// A model carried inside this executable (`pith build`): the `.pith` file's bytes are
/// appended to the runner, followed by a `StandaloneTrailer`. The model is read back from
/// /proc/self/exe; its own header and checksums are verified when it is opened, as for
/// any `.pith` file.
enum EmbeddedModel {
    static let trailerSize = StandaloneTrailer.byteSize

    struct Failure: Error { let message: String }

    /// The embedded model's bytes, nil when this executable carries none; a trailer that
    /// does not fit the file ends the program with one line.
    static func read(from path: String = "/proc/self/exe") -> [UInt8]? {
        let fd = pith_open_read(path)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        do throws(Failure) {
            return try locate(fileSize: Int(info.st_size), name: path) { offset, count in
                var buffer = [UInt8](repeating: 0, count: count)
                return readExactly(fd, &buffer, at: offset) ? buffer : nil
            }
        } catch {
            fail(error.message)
        }
    }

    /// The model in a file of `fileSize` bytes whose bytes `readAt(offset, count)` gives
    /// (nil when they cannot be read): nil when the file ends in no trailer; a trailer
    /// whose offset and length do not describe the bytes before it is a failure. Nothing
    /// is allocated for the model before its length has been checked against the file.
    static func locate(fileSize: Int, name: String, readAt: (Int, Int) -> [UInt8]?) throws(Failure) -> [UInt8]? {
        guard fileSize > trailerSize, let trailer = readAt(fileSize - trailerSize, trailerSize),
              let (offset, length) = StandaloneTrailer.decode(trailer) else { return nil }
        guard StandaloneTrailer.fits(offset: offset, length: length, fileSize: fileSize) else {
            throw Failure(message: "\(name): the embedded model's trailer (offset \(offset), length \(length)) does not fit the \(fileSize)-byte executable")
        }
        guard let model = readAt(offset, length) else { throw Failure(message: "\(name): cannot read the embedded model") }
        return model
    }

    static func readExactly(_ fd: Int32, _ buffer: inout [UInt8], at offset: Int) -> Bool {
        var done = 0
        let total = buffer.count
        while done < total {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, total - done, off_t(offset + done)) }
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}
