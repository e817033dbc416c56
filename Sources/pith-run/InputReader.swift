import CPosix

/// Samples read from a file for `pith-run`: raw values (pixels 0-255 or floats) in
/// sample-major order, and whether they are 8-bit codes that the model's `input.scale`
/// turns into model inputs.
struct Samples {
    var values: [Float]
    var count: Int
    var areBytes: Bool
}

/// Reads IDX (ubyte, uncompressed), `.npy` (uint8, float32, float64; C order), CSV
/// (one sample per line: the features, or the features and a label) and raw files
/// (float32 little-endian, or bytes with `--raw u8`), from a path or stdin ("-").
/// The format is told by the file's first bytes, not its name.
enum InputReader {
    struct Failure: Error { let message: String }

    static func readAll(_ path: String) throws(Failure) -> [UInt8] {
        let fd = path == "-" ? 0 : pith_open_read(path)
        guard fd >= 0 else { throw Failure(message: "\(path): \(String(cString: strerror(pith_errno())))") }
        defer { if fd != 0 { close(fd) } }
        var info = stat()
        if fstat(fd, &info) == 0, path != "-", pith_is_regular(&info) == 0 {
            throw Failure(message: "\(path): not a regular file")
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
            bytes.append(contentsOf: chunk[0..<n])
            guard bytes.count <= 1 << 31 else { throw Failure(message: "\(path): larger than 2 GiB") }
        }
        return bytes
    }

    static func samples(_ bytes: [UInt8], name: String, features: Int, rawBytes: Bool) throws(Failure) -> Samples {
        guard !bytes.isEmpty else { throw Failure(message: "\(name): empty") }
        if bytes.count >= 4, bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08 { return try idx(bytes, name: name, features: features) }
        if bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) { return try npy(bytes, name: name, features: features) }
        if looksLikeText(bytes) { return try csv(bytes, name: name, features: features) }
        return try raw(bytes, name: name, features: features, asBytes: rawBytes)
    }

    /// The true classes for `--labels`: an IDX file of rank 1 (MNIST's labels) or text, one
    /// class number per line; exactly `count` of them.
    static func labels(_ b: [UInt8], name: String, count: Int) throws(Failure) -> [Int] {
        var classes: [Int] = []
        if b.count >= 8, b[0] == 0, b[1] == 0, b[2] == 0x08, b[3] == 1 {
            guard be32(b, 4) == b.count - 8 else { throw Failure(message: "\(name): IDX declares \(be32(b, 4)) labels but holds \(b.count - 8) bytes") }
            classes = b[8...].map { Int($0) }
        } else if looksLikeText(b) {
            for (i, line) in b.split(separator: 10).enumerated() {
                let text = String(decoding: line, as: UTF8.self)[...].trimmingCharacters()
                if text.isEmpty { continue }
                guard let c = Int(text), c >= 0 else { throw Failure(message: "\(name):\(i + 1): '\(text)' is not a class number") }
                classes.append(c)
            }
        } else {
            throw Failure(message: "\(name): not an IDX label file or text with one class per line")
        }
        guard classes.count == count else { throw Failure(message: "\(name): \(classes.count) labels for \(count) samples") }
        return classes
    }

    static func be32(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3]) }

    static func idx(_ b: [UInt8], name: String, features: Int) throws(Failure) -> Samples {
        let rank = Int(b[3])
        guard rank >= 1, rank <= 4, b.count >= 4 + 4 * rank else { throw Failure(message: "\(name): IDX header is truncated or has rank \(rank)") }
        var dims: [Int] = []
        for i in 0..<rank { dims.append(be32(b, 4 + 4 * i)) }
        let count = dims[0], per = dims.dropFirst().reduce(1, *)
        guard per == features || (rank == 1 && features == 1) else {
            throw Failure(message: "\(name): IDX samples have \(per) values, the model takes \(features)")
        }
        let start = 4 + 4 * rank
        guard count <= (b.count - start) / max(per, 1), b.count - start == count * per else {
            throw Failure(message: "\(name): IDX declares \(count) samples of \(per) bytes but holds \(b.count - start) bytes")
        }
        return Samples(values: b[start...].map { Float($0) }, count: count, areBytes: true)
    }

    static func npy(_ b: [UInt8], name: String, features: Int) throws(Failure) -> Samples {
        let major = b[6]
        let headerLength = major == 1 ? Int(b[8]) | Int(b[9]) << 8 : (b.count >= 12 ? Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24 : -1)
        let headerStart = major == 1 ? 10 : 12
        guard headerLength >= 0, headerStart + headerLength <= b.count else { throw Failure(message: "\(name): .npy header is truncated") }
        let header = String(decoding: b[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard !has(header, "'fortran_order': True") else { throw Failure(message: "\(name): Fortran-order .npy arrays are not read") }
        let dtype: (size: Int, kind: String)
        if has(header, "'|u1'") { dtype = (1, "u1") }
        else if has(header, "'<f4'") { dtype = (4, "f4") }
        else if has(header, "'<f8'") { dtype = (8, "f8") }
        else { throw Failure(message: "\(name): .npy dtype must be |u1, <f4 or <f8") }
        let data = Array(b[(headerStart + headerLength)...])
        guard data.count % (dtype.size * features) == 0, !data.isEmpty else {
            throw Failure(message: "\(name): \(data.count / dtype.size) values are not whole samples of \(features)")
        }
        var values: [Float] = []
        values.reserveCapacity(data.count / dtype.size)
        for i in stride(from: 0, to: data.count, by: dtype.size) {
            switch dtype.kind {
            case "u1": values.append(Float(data[i]))
            case "f4": values.append(littleEndianFloat(data, i))
            default:
                var bits: UInt64 = 0
                for j in 0..<8 { bits |= UInt64(data[i + j]) << (8 * UInt64(j)) }
                values.append(Float(Double(bitPattern: bits)))
            }
        }
        return Samples(values: values, count: values.count / features, areBytes: dtype.kind == "u1")
    }

    static func looksLikeText(_ b: [UInt8]) -> Bool {
        b.prefix(4096).allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || ($0 >= 32 && $0 < 127) }
    }

    static func csv(_ b: [UInt8], name: String, features: Int) throws(Failure) -> Samples {
        var values: [Float] = []
        var count = 0
        var lineNumber = 0
        for line in b.split(separator: 10, omittingEmptySubsequences: false) {
            lineNumber += 1
            let text = String(decoding: line, as: UTF8.self)
            let fields = text.split(separator: ",").map { $0.trimmingCharacters() }
            if fields.isEmpty || (fields.count == 1 && fields[0].isEmpty) { continue }
            guard fields.count == features || fields.count == features + 1 else {
                throw Failure(message: "\(name):\(lineNumber): \(fields.count) columns; the model takes \(features) (a label may follow)")
            }
            for (i, field) in fields.prefix(features).enumerated() {
                guard let v = Float(field), v.isFinite else { throw Failure(message: "\(name):\(lineNumber): column \(i + 1) '\(field)' is not a finite number") }
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
            var values: [Float] = []
            for i in stride(from: 0, to: b.count, by: 4) {
                values.append(littleEndianFloat(b, i))
            }
            return Samples(values: values, count: b.count / (4 * features), areBytes: false)
        }
        guard b.count % features == 0 else {
            throw Failure(message: "\(name): \(b.count) bytes are neither float32 nor byte samples of \(features) values")
        }
        return Samples(values: b.map { Float($0) }, count: b.count / features, areBytes: true)
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\r" || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\r" || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// Whether `text` contains `part` (String.contains(String) is not in Embedded Swift's stdlib).
func has(_ text: String, _ part: String) -> Bool {
    let t = Array(text.utf8), p = Array(part.utf8)
    guard p.count <= t.count else { return false }
    for start in 0...(t.count - p.count) where t[start..<(start + p.count)].elementsEqual(p) { return true }
    return false
}
