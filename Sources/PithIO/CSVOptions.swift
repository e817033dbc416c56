extension CSV {
    /// Whether the first row names the columns.
    public enum Header: Equatable, Sendable {
        /// A header when no field of the first row that falls in a feature column is a
        /// number (and none is longer than `CSV.maxNameLength`); a label column chosen by
        /// name implies one. A first row of numbers with a stray word ("1,x,2") is data, and
        /// refused, not silently taken for a header.
        case detect
        case present
        case absent
    }

    /// Which column holds the label.
    public enum LabelColumn: Equatable, Sendable {
        /// The last column (Pith's CSV files before PithIO).
        case last
        /// The column at this 0-based position.
        case index(Int)
        /// The column the header row names so (needs a header row).
        case name(String)
        /// No label column: every column is a feature.
        case none
    }

    /// What the labels are.
    public enum Labels: Equatable, Sendable {
        /// Class numbers when every label is a whole number in 0..<`maxClasses`, otherwise
        /// class names (as `.names`).
        case automatic
        /// Class numbers in 0..<classes; anything else is refused.
        case integers(classes: Int)
        /// Class names: the distinct labels sorted by their UTF-8 bytes (deterministic, the
        /// same on every machine), each row's label its position in that list.
        case names
        /// Class names fixed beforehand (a training file's `classNames`): each row's label
        /// its position in the list; a label not in it is refused, the message naming
        /// `source` ("the training file t.csv").
        case classNames([String], source: String)
        /// The label column is skipped, unread (pith-run's inputs).
        case ignore
    }

    public struct Options: Equatable, Sendable {
        public var header: Header
        public var label: LabelColumn
        public var labels: Labels
        /// Multiplies every feature value.
        public var scale: Float
        /// When set, rows must have this many feature columns: a file of exactly that many
        /// columns has no label column, one with one more has it where `label` says, any
        /// other width is refused (pith-run's inputs, whose model fixes the width).
        public var featureCount: Int?
        /// When set, more data rows than this are refused at the first one too many.
        public var maxRows: Int?

        public init(header: Header = .detect, label: LabelColumn = .last, labels: Labels = .automatic, scale: Float = 1,
                    featureCount: Int? = nil, maxRows: Int? = nil) {
            self.header = header
            self.label = label
            self.labels = labels
            self.scale = scale
            self.featureCount = featureCount
            self.maxRows = maxRows
        }
    }

    /// A parsed CSV file: the features row-major, (rows, featureCount), and the labels.
    public struct Table: Equatable, Sendable {
        public let rows: Int
        public let featureCount: Int
        /// rows × featureCount values, times `Options.scale`.
        public let features: [Float]
        /// Each row's class: its number, or its position in `classNames`. Empty without a
        /// label column (or with `.ignore`).
        public let labels: [Int32]
        /// The class names, for labels read as names; nil for class numbers.
        public let classNames: [String]?
        /// Classes: `classNames.count`, or the largest class number + 1 (0 without labels).
        public let classes: Int
        /// The header's names of the feature columns, in order; nil without a header row.
        public let featureNames: [String]?
        /// The header's name of the label column, when there are both.
        public let labelName: String?
        /// The 0-based column the labels came from, nil when there is none.
        public let labelColumn: Int?
    }
}
