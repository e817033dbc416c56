import CPosix

/// Samples read from a file for `pith-run`: raw values (pixels 0-255 or floats) in
/// sample-major order, and whether they are 8-bit codes that the model's `input.scale`
/// turns into model inputs.
struct Samples {
    var values: [Float]
    var count: Int
    var areBytes: Bool
}

/// Reads IDX (unsigned bytes 0x08 or big-endian float32 0x0D, uncompressed), `.npy`
/// (uint8, float32, float64; C order; its shape checked), CSV (one sample per line: the
/// features, or the features and a label) and raw files (float32 little-endian, or bytes
/// with `--raw u8`), from a path or stdin ("-"). The format is told by the file's first
/// bytes, not its name.
///
/// Limits: a file is read up to `maxInputBytes` (1 GiB) and refused past it, and it may
/// hold at most `maxValues` values (2²⁸, 1 GiB as float32), checked before they are
/// decoded. Every product of a header's sizes is checked for overflow.
enum InputReader {
    struct Failure: Error { let message: String }

    static let maxInputBytes = 1 << 30
    static let maxValues = 1 << 28
    /// Longest CSV field, in bytes (a number is far shorter).
    static let maxFieldBytes = 64

    static func readAll(_ path: String) throws(Failure) -> [UInt8] {
        let fd = path == "-" ? 0 : pith_open_read(path)
        guard fd >= 0 else { throw Failure(message: "\(path): \(String(cString: strerror(pith_errno())))") }
        defer { if fd != 0 { close(fd) } }
        var info = stat()
        if path != "-" {
            guard fstat(fd, &info) == 0 else { throw Failure(message: "\(path): \(String(cString: strerror(pith_errno())))") }
            guard pith_is_regular(&info) != 0 else { throw Failure(message: "\(path): not a regular file") }
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if pith_errno() == EINTR { continue }
                throw Failure(message: "\(path): \(String(cString: strerror(pith_errno())))")
            }
            if n == 0 { break }
            guard bytes.count + n <= maxInputBytes else { throw Failure(message: "\(path): larger than the \(maxInputBytes)-byte limit") }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    /// IDX value types by their code: bytes per value, or nil for a type not read.
    static func idxValueSize(_ type: UInt8) -> Int? { type == 0x08 ? 1 : (type == 0x0D ? 4 : nil) }

    static func samples(_ bytes: [UInt8], name: String, features: Int, rawBytes: Bool) throws(Failure) -> Samples {
        guard !bytes.isEmpty else { throw Failure(message: "\(name): empty") }
        if bytes.count >= 4, bytes[0] == 0, bytes[1] == 0, [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E].contains(bytes[2]), bytes[3] >= 1, bytes[3] <= 4 {
            return try idx(bytes, name: name, features: features)
        }
        if bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) { return try npy(bytes, name: name, features: features) }
        if looksLikeText(bytes) { return try csv(bytes, name: name, features: features) }
        return try raw(bytes, name: name, features: features, asBytes: rawBytes)
    }

    /// Calls `body` with each line of `b` (without its "\n") and its number from 1,
    /// without splitting the whole file first.
    static func forEachLine(_ b: [UInt8], _ body: (ArraySlice<UInt8>, Int) throws(Failure) -> Void) throws(Failure) {
        var start = 0, number = 0
        while start < b.count {
            var end = start
            while end < b.count && b[end] != 10 { end += 1 }
            number += 1
            try body(b[start..<end], number)
            start = end + 1
        }
    }

    /// The true classes for `--labels`: an IDX file of rank 1 (MNIST's labels) or text, one
    /// class number per line; exactly `count` of them.
    static func labels(_ b: [UInt8], name: String, count: Int) throws(Failure) -> [Int] {
        var classes: [Int] = []
        if b.count >= 8, b[0] == 0, b[1] == 0, b[2] == 0x08, b[3] == 1 {
            guard be32(b, 4) == b.count - 8 else { throw Failure(message: "\(name): IDX declares \(be32(b, 4)) labels but holds \(b.count - 8) bytes") }
            classes = b[8...].map { Int($0) }
        } else if looksLikeText(b) {
            try forEachLine(b) { line, number throws(Failure) in
                let text = trimmed(line)
                if text.isEmpty { return }
                guard text.count <= 18, let c = Int(String(decoding: text, as: UTF8.self)), c >= 0 else {
                    throw Failure(message: "\(name):\(number): '\(String(decoding: text.prefix(40), as: UTF8.self))' is not a class number")
                }
                guard classes.count < count else { throw Failure(message: "\(name): more labels than the \(count) samples") }
                classes.append(c)
            }
        } else {
            throw Failure(message: "\(name): not an IDX label file or text with one class per line")
        }
        guard classes.count == count else { throw Failure(message: "\(name): \(classes.count) labels for \(count) samples") }
        return classes
    }

    static func be32(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3]) }

    /// count × per values of `size` bytes each: the number of values, or a failure naming
    /// the file when the product overflows or passes `maxValues`.
    static func valueCount(_ count: Int, _ per: Int, name: String) throws(Failure) -> Int {
        let (n, overflow) = count.multipliedReportingOverflow(by: per)
        guard !overflow, n <= maxValues else { throw Failure(message: "\(name): \(count) samples of \(per) values are more than the \(maxValues)-value limit") }
        return n
    }

    static func idx(_ b: [UInt8], name: String, features: Int) throws(Failure) -> Samples {
        guard let size = idxValueSize(b[2]) else {
            throw Failure(message: "\(name): IDX value type 0x\(String(b[2], radix: 16)) is not read (0x08 unsigned bytes or 0x0D float32)")
        }
        let rank = Int(b[3])
        guard b.count >= 4 + 4 * rank else { throw Failure(message: "\(name): IDX header is truncated (rank \(rank))") }
        var dims: [Int] = []
        for i in 0..<rank { dims.append(be32(b, 4 + 4 * i)) }
        let count = dims[0]
        var per = 1
        for d in dims.dropFirst() {
            let (p, overflow) = per.multipliedReportingOverflow(by: d)
            guard !overflow, p <= maxValues else { throw Failure(message: "\(name): IDX sample sizes \(dims.dropFirst().map { String($0) }.joined(separator: "x")) are too large") }
            per = p
        }
        guard per == features || (rank == 1 && features == 1) else {
            throw Failure(message: "\(name): IDX samples have \(per) values, the model takes \(features)")
        }
        let start = 4 + 4 * rank
        let n = try valueCount(count, max(per, 1), name: name)
        guard count >= 1, b.count - start == n * size else {
            throw Failure(message: "\(name): IDX declares \(count) samples of \(per) values (\(n * size) bytes) but holds \(b.count - start) bytes")
        }
        if size == 1 { return Samples(values: b[start...].map { Float($0) }, count: count, areBytes: true) }
        var values: [Float] = []
        values.reserveCapacity(n)
        for i in 0..<n { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: be32(b, start + 4 * i)))) }
        return Samples(values: values, count: count, areBytes: false)
    }

    /// The text after `key` up to the next `close` in a .npy header, or nil.
    static func field(_ header: [UInt8], _ key: String, close: UInt8) -> ArraySlice<UInt8>? {
        let k = Array(key.utf8)
        guard k.count <= header.count else { return nil }
        for s in 0...(header.count - k.count) where header[s..<(s + k.count)].elementsEqual(k) {
            var e = s + k.count
            while e < header.count && header[e] != close { e += 1 }
            return e < header.count ? header[(s + k.count)..<e] : nil
        }
        return nil
    }

    static func npy(_ b: [UInt8], name: String, features: Int) throws(Failure) -> Samples {
        let major = b[6]
        guard major >= 1, major <= 3 else { throw Failure(message: "\(name): .npy version \(major) is not read (1, 2 or 3)") }
        let headerStart = major == 1 ? 10 : 12
        guard b.count >= headerStart else { throw Failure(message: "\(name): .npy header is truncated") }
        let headerLength = major == 1 ? Int(b[8]) | Int(b[9]) << 8 : Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
        guard headerLength <= 1 << 20, headerStart + headerLength <= b.count else { throw Failure(message: "\(name): .npy header length \(headerLength) does not fit the file") }
        let header = Array(b[headerStart..<(headerStart + headerLength)])
        guard let order = field(header, "'fortran_order':", close: 44), trimmed(order).elementsEqual("False".utf8) else {
            throw Failure(message: "\(name): .npy 'fortran_order' must be False (C order)")
        }
        guard let descr = field(header, "'descr':", close: 44) else { throw Failure(message: "\(name): .npy header has no 'descr'") }
        let dtype: (size: Int, kind: String)
        switch String(decoding: trimmed(descr), as: UTF8.self) {
        case "'|u1'": dtype = (1, "u1")
        case "'<f4'": dtype = (4, "f4")
        case "'<f8'": dtype = (8, "f8")
        default: throw Failure(message: "\(name): .npy 'descr' must be '|u1', '<f4' or '<f8'")
        }
        guard let shapeText = field(header, "'shape':", close: 41), let open = shapeText.firstIndex(of: 40) else {
            throw Failure(message: "\(name): .npy header has no 'shape' tuple")
        }
        var shape: [Int] = []
        for part in shapeText[(open + 1)...].split(separator: 44) {
            let t = trimmed(part)
            if t.isEmpty { continue }
            guard t.count <= 18, let d = Int(String(decoding: t, as: UTF8.self)), d >= 0 else {
                throw Failure(message: "\(name): .npy 'shape' entry '\(String(decoding: t.prefix(40), as: UTF8.self))' is not a size")
            }
            shape.append(d)
        }
        guard shape.count >= 1, shape.count <= 8 else { throw Failure(message: "\(name): .npy 'shape' must have 1 to 8 sizes") }
        var per = 1
        for d in shape.dropFirst() { per = try valueCount(per, d, name: name) }
        let count = shape.count == 1 && features != 1 ? 1 : shape[0]
        if shape.count == 1 && features != 1 { per = shape[0] }
        guard per == features else { throw Failure(message: "\(name): .npy shape \(shape) gives samples of \(per) values, the model takes \(features)") }
        let n = try valueCount(count, per, name: name)
        let dataStart = headerStart + headerLength
        guard n >= 1, b.count - dataStart == n * dtype.size else {
            throw Failure(message: "\(name): .npy shape \(shape) needs \(n * dtype.size) bytes of \(dtype.kind) data but \(b.count - dataStart) follow the header")
        }
        var values: [Float] = []
        values.reserveCapacity(n)
        for i in stride(from: dataStart, to: b.count, by: dtype.size) {
            switch dtype.kind {
            case "u1": values.append(Float(b[i]))
            case "f4": values.append(littleEndianFloat(b, i))
            default:
                var bits: UInt64 = 0
                for j in 0..<8 { bits |= UInt64(b[i + j]) << (8 * UInt64(j)) }
                values.append(Float(Double(bitPattern: bits)))
            }
        }
        return Samples(values: values, count: count, areBytes: dtype.kind == "u1")
    }

    static func looksLikeText(_ b: [UInt8]) -> Bool {
        b.prefix(4096).allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || ($0 >= 32 && $0 < 127) }
    }

    /// `s` without leading and trailing spaces, tabs and carriage returns.
    static func trimmed(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var t = s
        while let f = t.first, f == 32 || f == 13 || f == 9 { t = t.dropFirst() }
        while let l = t.last, l == 32 || l == 13 || l == 9 { t = t.dropLast() }
        return t
    }

    static func csv(_ b: [UInt8], name: String, features: Int) throws(Failure) -> Samples {
        var values: [Float] = []
        var count = 0
        try forEachLine(b) { line, number throws(Failure) in
            if trimmed(line).isEmpty { return }
            // Columns are counted before any is parsed: a long line of the wrong width
            // costs nothing.
            let columns = line.reduce(1) { $0 + ($1 == 44 ? 1 : 0) }
            guard columns == features || columns == features + 1 else {
                throw Failure(message: "\(name):\(number): \(columns) columns; the model takes \(features) (a label may follow)")
            }
            guard values.count + features <= maxValues else { throw Failure(message: "\(name):\(number): more than the \(maxValues)-value limit") }
            var column = 0
            for part in line.split(separator: 44, omittingEmptySubsequences: false).prefix(features) {
                column += 1
                let text = trimmed(part)
                guard text.count <= maxFieldBytes, let v = Float(String(decoding: text, as: UTF8.self)), v.isFinite else {
                    throw Failure(message: "\(name):\(number): column \(column) '\(String(decoding: text.prefix(40), as: UTF8.self))' is not a finite number")
                }
                values.append(v)
            }
            count += 1
        }
        guard count > 0 else { throw Failure(message: "\(name): no samples") }
        return Samples(values: values, count: count, areBytes: false)
    }

    static func raw(_ b: [UInt8], name: String, features: Int, asBytes: Bool) throws(Failure) -> Samples {
        if !asBytes {
            guard b.count % (4 * features) == 0 else {
                throw Failure(message: "\(name): \(b.count) bytes are not whole float32 samples of \(features) values (--raw u8 reads bytes)")
            }
            _ = try valueCount(b.count / 4, 1, name: name)
            var values: [Float] = []
            values.reserveCapacity(b.count / 4)
            for i in stride(from: 0, to: b.count, by: 4) {
                values.append(littleEndianFloat(b, i))
            }
            return Samples(values: values, count: b.count / (4 * features), areBytes: false)
        }
        guard b.count % features == 0 else {
            throw Failure(message: "\(name): \(b.count) bytes are neither float32 nor byte samples of \(features) values")
        }
        _ = try valueCount(b.count, 1, name: name)
        return Samples(values: b.map { Float($0) }, count: b.count / features, areBytes: true)
    }
}

/// The float32 stored little-endian at `at`.
func littleEndianFloat(_ b: [UInt8], _ at: Int) -> Float {
    var bits: UInt32 = 0
    for j in 0..<4 { bits |= UInt32(b[at + j]) << UInt32(8 * j) }
    return Float(bitPattern: bits)
}
