import PithIO

/// Samples read from a file for `pith-run`: raw values (pixels 0-255 or floats) in
/// sample-major order, and whether they are 8-bit codes that the model's `input.scale`
/// turns into model inputs.
struct Samples {
    var values: [Float]
    var count: Int
    var areBytes: Bool
}

/// pith-run's inputs, through PithIO: IDX (every IDX type; unsigned bytes are 8-bit codes),
/// `.npy` (C order; uint8 as 8-bit codes, other numbers as values), CSV (one sample per row:
/// the features, or the features and a label, which is skipped; a header row is detected)
/// and raw files (float32 little-endian, or bytes with `--raw u8`), from a path or stdin
/// ("-"). The format is told by the file's first bytes, not its name. An array's first size
/// counts the samples and the rest must hold the model's input values; a rank-1 array is
/// one sample (one value per sample for a model of one input).
///
/// Limits: a file is read up to `IOLimits.maxInputBytes` (1 GiB) and refused past it, and
/// it may hold at most `IOLimits.maxValues` values (2²⁸, 1 GiB as float32), checked before
/// they are decoded.
enum InputReader {
    static func readAll(_ path: String) throws(IOFailure) -> [UInt8] {
        if path == "-" { return try BoundedFile.readStandardInput(limit: IOLimits.maxInputBytes) }
        return try BoundedFile.read(path, limit: IOLimits.maxInputBytes)
    }

    /// `raw`: nil reads the format the bytes show (IDX, .npy, CSV, else raw float32); true or
    /// false reads them raw as bytes or float32 whatever they look like (`--raw u8|f32`).
    static func samples(_ bytes: [UInt8], name: String, features: Int, raw rawBytes: Bool?) throws(IOFailure) -> Samples {
        guard !bytes.isEmpty else { throw IOFailure(name, "empty") }
        if let rawBytes { return try raw(bytes, name: name, features: features, asBytes: rawBytes) }
        if IDX.looksLikeIDX(bytes) { return try samples(IDX.decode(bytes, file: name), name: name, features: features, format: "IDX") }
        if NPY.looksLikeNPY(bytes) { return try samples(NPY.decode(bytes, file: name), name: name, features: features, format: ".npy") }
        if looksLikeText(bytes) {
            let table = try CSV.parse(bytes, file: name, options: CSV.Options(labels: .ignore, featureCount: features))
            return Samples(values: table.features, count: table.rows, areBytes: false)
        }
        return try raw(bytes, name: name, features: features, asBytes: false)
    }

    /// An IDX or .npy array as samples of `features` values.
    static func samples(_ a: NumericArray, name: String, features: Int, format: String) throws(IOFailure) -> Samples {
        let oneSample = a.shape.count == 0 || (a.shape.count == 1 && features != 1)
        let count = oneSample ? 1 : a.shape[0]
        let per = oneSample ? a.count : a.shape.dropFirst().reduce(1, *)
        guard per == features else {
            throw IOFailure(name, "\(format) shape \(NumericArray.text(a.shape)) gives samples of \(per) values, the model takes \(features)")
        }
        guard count >= 1 else { throw IOFailure(name, "\(format) holds no samples") }
        guard let values = a.floats() else { throw IOFailure(name, "\(format) holds strings, not numbers") }
        if case .uint8 = a.values { return Samples(values: values, count: count, areBytes: true) }
        return Samples(values: values, count: count, areBytes: false)
    }

    /// The true classes for `--labels`: an IDX or .npy array of class numbers (rank 1), or
    /// text, one class number per line; exactly `count` of them.
    static func labels(_ b: [UInt8], name: String, count: Int) throws(IOFailure) -> [Int] {
        var classes: [Int] = []
        if IDX.looksLikeIDX(b) || NPY.looksLikeNPY(b) {
            let a = try IDX.looksLikeIDX(b) ? IDX.decode(b, file: name) : NPY.decode(b, file: name)
            guard a.shape.count == 1, let numbers = a.integers(), numbers.allSatisfy({ $0 >= 0 }) else {
                throw IOFailure(name, "labels must be a rank-1 array of class numbers (found \(a.typeName) of shape \(NumericArray.text(a.shape)))")
            }
            classes = numbers.map { Int($0) }
        } else if looksLikeText(b) {
            let table = try CSV.parse(b, file: name, options: CSV.Options(header: .absent, label: .index(0), labels: .integers(classes: CSV.maxClasses), maxRows: count))
            guard table.featureCount == 0 else { throw IOFailure(name, "\(table.featureCount + 1) columns; a labels file has one class number per line") }
            classes = table.labels.map { Int($0) }
        } else {
            throw IOFailure(name, "not an IDX or .npy label file or text with one class per line")
        }
        guard classes.count == count else { throw IOFailure(name, "\(classes.count) labels for \(count) samples") }
        return classes
    }

    static func looksLikeText(_ b: [UInt8]) -> Bool {
        b.prefix(4096).allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || ($0 >= 32 && $0 < 127) }
    }

    /// Headerless samples: float32 little-endian, or bytes (`asBytes`, 8-bit codes).
    static func raw(_ b: [UInt8], name: String, features: Int, asBytes: Bool) throws(IOFailure) -> Samples {
        let size = asBytes ? 1 : 4
        guard b.count % (size * features) == 0 else {
            throw IOFailure(name, asBytes ? "\(b.count) bytes are not whole byte samples of \(features) values"
                                          : "\(b.count) bytes are not whole float32 samples of \(features) values (--raw u8 reads bytes)")
        }
        let n = b.count / size
        guard n <= IOLimits.maxValues else { throw IOFailure(name, "\(n) values are more than the \(IOLimits.maxValues)-value limit") }
        if asBytes { return Samples(values: b.map { Float($0) }, count: n / features, areBytes: true) }
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n {
            values[i] = Float(bitPattern: UInt32(b[4 * i]) | UInt32(b[4 * i + 1]) << 8 | UInt32(b[4 * i + 2]) << 16 | UInt32(b[4 * i + 3]) << 24)
        }
        return Samples(values: values, count: n / features, areBytes: false)
    }
}
