import CPosix
import PithFormat

/// A model carried inside this executable (`pith build`): the `.pith` file's bytes are
/// appended to the runner, followed by a `StandaloneTrailer`. The model is read back from
/// /proc/self/exe; its own header and checksums are verified when it is opened, as for
/// any `.pith` file.
enum EmbeddedModel {
    static let trailerSize = StandaloneTrailer.byteSize

    /// The embedded model's bytes, nil when this executable carries none; a trailer that
    /// does not fit the file ends the program with one line.
    static func read(from path: String = "/proc/self/exe") -> [UInt8]? {
        let fd = pith_open_read(path)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        guard size > trailerSize else { return nil }
        var trailer = [UInt8](repeating: 0, count: trailerSize)
        guard readExactly(fd, &trailer, at: size - trailerSize), let (offset, length) = StandaloneTrailer.decode(trailer) else { return nil }
        guard StandaloneTrailer.fits(offset: offset, length: length, fileSize: size) else {
            fail("\(path): the embedded model's trailer (offset \(offset), length \(length)) does not fit the \(size)-byte executable")
        }
        var model = [UInt8](repeating: 0, count: length)
        guard readExactly(fd, &model, at: offset) else { fail("\(path): cannot read the embedded model") }
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
