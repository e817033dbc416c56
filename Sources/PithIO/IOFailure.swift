/// Why a file could not be read or decoded: one line that names the file (and the line,
/// for text formats) and what is wrong with it, e.g. `d.csv:3: column 2 'x' is not a
/// finite number` or `x.npy: 'fortran_order' is True; only C order is read`.
public struct IOFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file's name as the caller gave it ("stdin" for standard input).
    public let file: String
    /// The 1-based line a text format's problem is on, when there is one.
    public let line: Int?
    /// What is wrong, without the file's name.
    public let problem: String

    public init(_ file: String, line: Int? = nil, _ problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    /// `file` or `file:line`.
    public var location: String {
        guard let line else { return file }
        return file + ":" + String(line)
    }

    public var description: String { location + ": " + problem }
}

/// The caps every reader in PithIO keeps; each is checked before anything of that size is
/// allocated. They are the toolchain's and pith-run's caps of before PithIO, unchanged.
public enum IOLimits {
    /// Most bytes read from one data file or standard input: 1 GiB.
    public static let maxInputBytes = 1 << 30
    /// Most values one array or table holds: 2²⁸, 1 GiB as float32.
    public static let maxValues = 1 << 28
    /// Most dimensions of an IDX or NPY array.
    public static let maxRank = 8
}
