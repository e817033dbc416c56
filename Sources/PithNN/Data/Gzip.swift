import CZlib

/// gzip decompression through zlib, with a hard cap on the output size so that a
/// crafted file cannot exhaust memory. Handles concatenated gzip members. Also raw deflate
/// (no header), for the deflated entries of `.npz` archives (`np.savez_compressed`).
public enum Gzip {
    /// True when `bytes` starts with the gzip magic 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The decompressed bytes, or a one-line reason (corrupt data, truncated stream, input
    /// beyond zlib's 32-bit count of 4 GiB, or output beyond `limit` bytes: data files
    /// pass `FileBytes.Limit.decompressedData`).
    public static func decompress(_ input: [UInt8], limit: Int) -> Result<[UInt8], GzipProblem> {
        inflateStream(input[...], windowBits: 16 + MAX_WBITS, limit: limit)
    }

    /// Raw deflate data (a zip entry's) inflated to exactly `size` bytes, or why not.
    public static func inflateRaw(_ input: ArraySlice<UInt8>, size: Int) -> Result<[UInt8], GzipProblem> {
        switch inflateStream(input, windowBits: -MAX_WBITS, limit: size) {
        case let .success(bytes) where bytes.count != size:
            return .failure(GzipProblem("inflates to \(bytes.count) bytes, not the \(size) its archive says"))
        case let result: return result
        }
    }

    /// zlib's inflate with `windowBits` (gzip: 16 + 15, raw deflate: −15), at most `limit`
    /// bytes out; a gzip stream may hold several members, raw deflate one.
    static func inflateStream(_ input: ArraySlice<UInt8>, windowBits: Int32, limit: Int) -> Result<[UInt8], GzipProblem> {
        var output: [UInt8] = []
        var stream = z_stream()
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        let initResult = inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initResult == Z_OK else { return .failure(GzipProblem("zlib could not start (\(initResult))")) }
        defer { inflateEnd(&stream) }
        return input.withUnsafeBufferPointer { src -> Result<[UInt8], GzipProblem> in
            guard let base = src.baseAddress else { return .failure(GzipProblem("empty gzip stream")) }
            guard src.count <= Int(UInt32.max) else { return .failure(GzipProblem("more than 4 GiB of gzip data")) }
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = UInt32(src.count)
            while true {
                let produced: Int
                let status: Int32 = buffer.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(chunk)
                    let s = inflate(&stream, Z_NO_FLUSH)
                    return s
                }
                produced = chunk - Int(stream.avail_out)
                if output.count + produced > limit {
                    return .failure(GzipProblem("decompresses to more than \(limit) bytes"))
                }
                output.append(contentsOf: buffer[0..<produced])
                switch status {
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return .success(output) }
                    guard windowBits > 0 else { return .failure(GzipProblem("bytes after the end of the deflate stream")) }
                    // Another gzip member follows.
                    guard inflateReset(&stream) == Z_OK else { return .failure(GzipProblem("bad gzip member")) }
                case Z_OK:
                    if stream.avail_in == 0 && produced == 0 {
                        return .failure(GzipProblem("gzip stream is truncated"))
                    }
                case Z_BUF_ERROR:
                    return .failure(GzipProblem("gzip stream is truncated"))
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                    return .failure(GzipProblem("corrupt gzip data (\(reason))"))
                }
            }
        }
    }
}

/// Why a gzip stream could not be decompressed.
public struct GzipProblem: Error, Equatable {
    public let text: String
    init(_ text: String) { self.text = text }
}
