import PithIO

/// A data set as a command line or a recipe names it, and as a checkpoint records it so that
/// later stages (eval, quantize, pack, distill, --resume) load the same samples: the name
/// (`digits`, `mnist`, a `.csv`/`.csv.gz`/`.npz` path — the training file when `validation`
/// and `test` are given), a CSV's header rule and label column, and separate validation and
/// test files.
public struct DataSpec: Codable, Equatable, Sendable {
    public var name: String
    /// "detect" (the default), "present" or "absent".
    public var header: String?
    /// The label column: a header name, or a 0-based column number; nil: the last column.
    public var labelColumn: String?
    public var validation: String?
    public var test: String?

    public init(name: String, header: String? = nil, labelColumn: String? = nil, validation: String? = nil, test: String? = nil) {
        self.name = name
        self.header = header
        self.labelColumn = labelColumn
        self.validation = validation
        self.test = test
    }

    /// True when only `name` is set (what a checkpoint's `data` field alone says).
    public var isPlain: Bool { header == nil && labelColumn == nil && validation == nil && test == nil }

    /// Every file the samples are read from besides MNIST's (for refusing an output onto one).
    public var extraFiles: [String] { [validation, test].compactMap { $0 } }

    /// The header rule, checked.
    public func headerRule() throws(PithError) -> CSV.Header {
        switch header {
        case nil, "detect": return .detect
        case "present": return .present
        case "absent": return .absent
        case let other?: throw .badOption(name: "--header", problem: "'\(other)' is not detect, present or absent")
        }
    }

    /// The label column, checked: digits are a 0-based column number, anything else a name.
    public func labelRule() throws(PithError) -> CSV.LabelColumn {
        guard let labelColumn else { return .last }
        guard !labelColumn.isEmpty else { throw .badOption(name: "--label-column", problem: "is empty") }
        if labelColumn.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            guard labelColumn.count <= 9, let i = Int(labelColumn) else { throw .badOption(name: "--label-column", problem: "column \(labelColumn) is too large") }
            return .index(i)
        }
        return .name(labelColumn)
    }

    /// Where the samples come from.
    public func source(mnistDirectory: String = DataSource.defaultMNISTDirectory, scale: Float = 1) throws(PithError) -> DataSource {
        let header = try headerRule(), label = try labelRule()
        switch (validation, test) {
        case let (v?, t?):
            return .files(DataFiles(train: name, validation: v, test: t, scale: scale, header: header, label: label))
        case (nil, nil):
            return try DataSource.named(name, mnistDirectory: mnistDirectory, csvScale: scale, header: header, label: label)
        default:
            throw .badOption(name: validation == nil ? "--validation-data" : "--test-data", problem: "give both --validation-data and --test-data (or neither: a 60/20/20 split)")
        }
    }
}
