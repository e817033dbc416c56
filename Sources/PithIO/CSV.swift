/// Comma-separated values of numbers with an optional label column, parsed from bytes.
///
/// A row is one line (LF or CRLF); blank lines are skipped; a leading UTF-8 byte-order mark
/// is skipped. Fields are trimmed of spaces and tabs; a field in double quotes may hold
/// commas, newlines and doubled quotes (`""`), as RFC 4180 has it. The first row may be a
/// header (`Header`): its names are kept (`Table.featureNames`, `labelName`). The label
/// column is the last, one at an index, one named in the header, or none (`LabelColumn`);
/// labels are class numbers or class names (`Labels`). Every other column is a feature and
/// must be a finite number. Every row must have the first row's width.
///
/// Bounded: fields are parsed straight from the bytes, one at a time (no String per line);
/// a row's columns are counted (at most `maxColumns` kept) before any value is parsed, and
/// the values are capped at `maxValues` before each row is added. gzip is the caller's to
/// undo. Errors name the file and the line: `d.csv:3: column 2 'x' is not a finite number`.
public enum CSV {
    /// Most columns in a row, the label's included.
    public static let maxColumns = 1 << 16
    /// Most feature values in one file: 1 GiB of float32.
    public static let maxValues = IOLimits.maxValues
    /// Longest number field, in bytes after trimming (a float needs far fewer).
    public static let maxFieldLength = 64
    /// Longest column name or class name, in bytes.
    public static let maxNameLength = 256
    /// Most distinct labels (classes) in one file.
    public static let maxClasses = 1 << 16

    /// Parses CSV `bytes`; `file` names the file in errors.
    public static func parse(_ bytes: [UInt8], file: String, options: Options = Options()) throws(IOFailure) -> Table {
        var s = Scanner(bytes: bytes, file: file)
        guard try s.nextRow() else { throw IOFailure(file, "no data rows") }
        let columns = s.count
        func bad(_ problem: String) -> IOFailure { IOFailure(file, line: s.line, problem) }

        // Where the label is, as far as it can be told without a header.
        var choice = options.label
        if let f = options.featureCount {
            if columns == f {
                choice = .none
            } else if columns != f + 1 {
                throw bad("\(columns) column\(columns == 1 ? "" : "s"); \(f) feature column\(f == 1 ? " is" : "s are") expected (a label column may follow)")
            }
        }
        var labelIndex: Int?
        switch choice {
        case .last: labelIndex = columns - 1
        case let .index(i):
            guard i >= 0, i < columns else { throw bad("label column \(i) (0-based) is outside the \(columns) columns") }
            labelIndex = i
        case .name, .none: labelIndex = nil
        }
        var hasHeader: Bool
        switch options.header {
        case .present: hasHeader = true
        case .absent: hasHeader = false
        case .detect:
            if case .name = choice {
                hasHeader = true
            } else {
                // Names, not numbers, in every feature column: a typo in a first data row
                // ("1,x,2") stays data, and is refused, instead of being taken for a header.
                var names = 0, numbers = 0, tooLong = false
                for j in 0..<columns {
                    let f = s.field(j)
                    if f.count > maxNameLength { tooLong = true }
                    if j != labelIndex { if number(f) == nil { names += 1 } else { numbers += 1 } }
                }
                hasHeader = names > 0 && numbers == 0 && !tooLong
            }
        }
        var names: [String]? = nil
        if hasHeader {
            var n: [String] = []
            for j in 0..<columns {
                let f = s.field(j)
                guard f.count <= maxNameLength else { throw bad("the header's column \(j + 1) name is longer than \(maxNameLength) bytes") }
                n.append(String(decoding: f, as: UTF8.self))
            }
            if case let .name(wanted) = choice {
                let matches = n.indices.filter { n[$0] == wanted }
                guard let first = matches.first else {
                    throw bad("no column is named '\(wanted)' (the header: \(list(n)))")
                }
                guard matches.count == 1 else { throw bad("columns \(first + 1) and \(matches[1] + 1) are both named '\(wanted)'") }
                labelIndex = first
            }
            names = n
        } else if case let .name(wanted) = choice {
            throw bad("the label column is chosen by name ('\(wanted)') but the file has no header row")
        }

        let featureCount = columns - (labelIndex == nil ? 0 : 1)
        var labeller = Labeller(options.labels, file: file)
        if labelIndex == nil { labeller = Labeller(.ignore, file: file) }
        var features: [Float] = []
        var rows = 0
        var more = hasHeader ? try s.nextRow() : true
        while more {
            guard s.count == columns else { throw bad("\(s.count) columns, but the first row has \(columns)") }
            if let maxRows = options.maxRows, rows >= maxRows { throw bad("more rows than the \(maxRows) expected") }
            guard features.count + featureCount <= maxValues else { throw bad("the rows up to here hold more than \(maxValues) values") }
            for j in 0..<columns {
                let f = s.field(j)
                if j == labelIndex {
                    try labeller.add(f, line: s.line)
                    continue
                }
                guard let v = number(f) else { throw bad("column \(j + 1) '\(Bytes.quote(f))' is not a finite number") }
                let scaled = v * options.scale
                guard scaled.isFinite else { throw bad("column \(j + 1) '\(Bytes.quote(f))' times the scale is not finite") }
                features.append(scaled)
            }
            rows += 1
            more = try s.nextRow()
        }
        guard rows > 0 else { throw IOFailure(file, hasHeader ? "no data rows (only a header row)" : "no data rows") }
        let (labels, classNames, classes) = labeller.finish()
        return Table(rows: rows, featureCount: featureCount, features: features, labels: labels, classNames: classNames,
                     classes: classes, featureNames: names.map { n in n.indices.filter { $0 != labelIndex }.map { n[$0] } },
                     labelName: labelIndex.flatMap { i in names.map { $0[i] } }, labelColumn: labelIndex)
    }

    /// A field's finite value (spaces inside quotes allowed), or nil.
    static func number(_ field: ArraySlice<UInt8>) -> Float? {
        let f = Bytes.trimmed(field)
        guard !f.isEmpty, f.count <= maxFieldLength, let v = Float(String(decoding: f, as: UTF8.self)), v.isFinite else { return nil }
        return v
    }

    /// Names for a message: the first eight, then "…".
    static func list(_ names: [String]) -> String {
        names.prefix(8).map { "'" + Bytes.quote(ArraySlice($0.utf8), limit: 40) + "'" }.joined(separator: ", ") + (names.count > 8 ? ", …" : "")
    }

    /// Turns each row's label field into a class.
    struct Labeller {
        let mode: Labels
        let file: String
        var labels: [Int32] = []
        /// Distinct labels in the order first met, and each one's position there.
        var distinct: [[UInt8]] = []
        var ids: [[UInt8]: Int32] = [:]
        var largest: Int32 = -1

        init(_ mode: Labels, file: String) {
            self.mode = mode
            self.file = file
            if case let .classNames(known, _) = mode {
                for (i, name) in known.enumerated() { ids[Array(name.utf8)] = Int32(i) }
            }
        }

        mutating func add(_ f: ArraySlice<UInt8>, line: Int) throws(IOFailure) {
            func bad(_ problem: String) -> IOFailure { IOFailure(file, line: line, problem) }
            switch mode {
            case .ignore: return
            case let .integers(classes):
                guard f.count <= 18, let c = Int(String(decoding: f, as: UTF8.self)), c >= 0, c < classes else {
                    throw bad("label '\(Bytes.quote(f))' is not a class number in 0..<\(classes)")
                }
                labels.append(Int32(c))
                largest = max(largest, Int32(c))
            case let .classNames(known, source):
                guard let id = ids[Array(f)] else {
                    throw bad("label '\(Bytes.quote(f))' is not one of the \(known.count) classes of \(source) (\(list(known)))")
                }
                labels.append(id)
            case .automatic, .names:
                guard !f.isEmpty else { throw bad("the label is empty") }
                guard f.count <= maxNameLength else { throw bad("label '\(Bytes.quote(f))' is longer than \(maxNameLength) bytes") }
                let key = Array(f)
                if let id = ids[key] {
                    labels.append(id)
                } else {
                    guard distinct.count < maxClasses else { throw bad("more than \(maxClasses) different labels") }
                    let id = Int32(distinct.count)
                    ids[key] = id
                    distinct.append(key)
                    labels.append(id)
                }
            }
        }

        /// The labels, the class names (nil for numbers) and the number of classes.
        func finish() -> ([Int32], [String]?, Int) {
            switch mode {
            case .ignore: return ([], nil, 0)
            case .integers: return (labels, nil, Int(largest) + 1)
            case let .classNames(known, _): return (labels, known, known.count)
            case .automatic, .names:
                if case .automatic = mode, let numbers = Self.classNumbers(distinct) {
                    return (labels.map { numbers[Int($0)] }, nil, Int(numbers.max() ?? -1) + 1)
                }
                let (rank, sorted) = ClassNames.sorted(distinct)
                return (labels.map { rank[Int($0)] }, sorted, sorted.count)
            }
        }

        /// Each label's class number when every one is a whole number in 0..<maxClasses.
        static func classNumbers(_ labels: [[UInt8]]) -> [Int32]? {
            var out: [Int32] = []
            for l in labels {
                guard l.count <= 6, l.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
                var v = 0
                for c in l { v = v * 10 + Int(c - 0x30) }
                guard v < maxClasses else { return nil }
                out.append(Int32(v))
            }
            return out
        }
    }
}

/// Class names in Pith's order: sorted by their UTF-8 bytes, so the same labels give the
/// same classes on every machine and in every run.
public enum ClassNames {
    /// For distinct labels (as bytes, in any order): each one's position in the sorted list,
    /// and the sorted list as Strings.
    public static func sorted(_ distinct: [[UInt8]]) -> (rank: [Int32], names: [String]) {
        let order = distinct.indices.sorted { distinct[$0].lexicographicallyPrecedes(distinct[$1]) }
        var rank = [Int32](repeating: 0, count: distinct.count)
        for (position, i) in order.enumerated() { rank[i] = Int32(position) }
        return (rank, order.map { String(decoding: distinct[$0], as: UTF8.self) })
    }

    /// Labels given as strings: each one's class (its position among the sorted distinct
    /// names) and the sorted names.
    public static func classes(of labels: [String]) -> (labels: [Int32], names: [String]) {
        var ids: [[UInt8]: Int32] = [:]
        var distinct: [[UInt8]] = []
        var first: [Int32] = []
        first.reserveCapacity(labels.count)
        for l in labels {
            let key = Array(l.utf8)
            if let id = ids[key] { first.append(id); continue }
            let id = Int32(distinct.count)
            ids[key] = id
            distinct.append(key)
            first.append(id)
        }
        let (rank, names) = sorted(distinct)
        return (first.map { rank[Int($0)] }, names)
    }
}
