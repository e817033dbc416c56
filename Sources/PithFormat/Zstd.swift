#if canImport(CZstd)
import CZstd

/// zstd, for compressed sections. Decoding writes only into a buffer whose size the
/// caller has checked against the limits, and refuses a frame that would produce more
/// (a decompression bomb stops when the buffer is full; nothing grows).
enum Zstd {
    /// One frame with the content size in its header and no zstd checksum (each section
    /// carries its own XXH64).
    static func compress(_ src: UnsafeRawBufferPointer, level: Int32) -> [UInt8] {
        let ctx = ZSTD_createCCtx()
        defer { ZSTD_freeCCtx(ctx) }
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_contentSizeFlag, 1)
        ZSTD_CCtx_setParameter(ctx, ZSTD_c_checksumFlag, 0)
        let bound = ZSTD_compressBound(src.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { dst in
            ZSTD_compress2(ctx, dst.baseAddress, bound, src.baseAddress, src.count)
        }
        precondition(ZSTD_isError(n) == 0, "zstd compression failed with a buffer of compressBound bytes")
        out.removeLast(out.count - n)
        return out
    }

    /// Decodes `src`, which must be exactly one frame, into all of `dst`.
    static func decompress(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, field: String) throws(FormatError) {
        let frameSize = ZSTD_findFrameCompressedSize(src.baseAddress, src.count)
        guard ZSTD_isError(frameSize) == 0 else {
            throw .decompression(field: field, problem: "not a complete zstd frame (\(errorName(frameSize)))")
        }
        guard frameSize == src.count else {
            throw .decompression(field: field, problem: "\(src.count - frameSize) bytes follow the frame")
        }
        let declared = ZSTD_getFrameContentSize(src.baseAddress, src.count)
        // UInt64.max: content size unknown; UInt64.max - 1: error.
        guard declared < UInt64.max - 1 else {
            throw .decompression(field: field, problem: "the frame does not declare its content size")
        }
        guard declared == UInt64(dst.count) else {
            throw .decompression(field: field, problem: "the frame declares \(declared) bytes but the section table \(dst.count)")
        }
        let ctx = ZSTD_createDCtx()
        defer { ZSTD_freeDCtx(ctx) }
        // An empty output buffer may have no address; zstd wants one anyway.
        var scratch: UInt8 = 0
        let n = withUnsafeMutablePointer(to: &scratch) { one in
            ZSTD_decompressDCtx(ctx, dst.baseAddress ?? UnsafeMutableRawPointer(one), dst.count, src.baseAddress, src.count)
        }
        guard ZSTD_isError(n) == 0 else {
            throw .decompression(field: field, problem: errorName(n))
        }
        guard n == dst.count else {
            throw .decompression(field: field, problem: "decoded \(n) bytes, declared \(dst.count)")
        }
    }

    static func errorName(_ code: Int) -> String {
        guard let name = ZSTD_getErrorName(code) else { return "error \(code)" }
        return String(cString: name)
    }
}
#else
/// A build without libzstd (a bare-metal target, tools/embedded-check): files whose sections
/// are zstd-compressed are refused with a clear error; `pith pack --raw` writes files this
/// build reads (and `pith quantize --raw`).
enum Zstd {
    static func decompress(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, field: String) throws(FormatError) {
        throw .decompression(field: field, problem: "this build of the reader has no zstd decoder; write the model raw ('pith quantize --raw' or 'pith pack --raw')")
    }
}
#endif
