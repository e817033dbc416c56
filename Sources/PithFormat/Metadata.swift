/// A typed metadata value (docs/FORMAT.md, "Section 1: metadata").
public enum MetadataValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case double(Double)
    case strings([String])

    var typeCode: UInt8 {
        switch self {
        case .string: return 1
        case .int: return 2
        case .double: return 3
        case .strings: return 4
        }
    }
}

/// Ordered, uniquely keyed metadata. Keys the spec names (`model.name`, `input.shape`,
/// `provenance.*`, ...) have fixed types; unknown keys are kept.
public struct Metadata: Sendable, Equatable {
    public private(set) var entries: [(key: String, value: MetadataValue)] = []

    public init() {}

    public subscript(key: String) -> MetadataValue? {
        get {
            for e in entries where e.key.sameBytes(key) { return e.value }
            return nil
        }
        set {
            if let i = entries.firstIndex(where: { $0.key.sameBytes(key) }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    public func string(_ key: String) -> String? {
        if case let .string(s)? = self[key] { return s }
        return nil
    }

    public func double(_ key: String) -> Double? {
        if case let .double(d)? = self[key] { return d }
        return nil
    }

    public func strings(_ key: String) -> [String]? {
        if case let .strings(s)? = self[key] { return s }
        return nil
    }

    public static func == (a: Metadata, b: Metadata) -> Bool {
        a.entries.count == b.entries.count
            && zip(a.entries, b.entries).allSatisfy { $0.key.sameBytes($1.key) && $0.value == $1.value }
    }

    /// The types the spec fixes for its known keys.
    static func requiredType(of key: String) -> UInt8? {
        requiredTypes.first { $0.key.sameBytes(key) }?.type
    }

    static let requiredTypes: [(key: String, type: UInt8)] = [
        ("model.name", 1), ("model.task", 1), ("input.shape", 1), ("input.dtype", 1), ("provenance.source", 1), ("provenance.dataset", 1),
        ("model.labels", 4), ("input.scale", 3), ("provenance.accuracy.float", 3), ("provenance.accuracy.int8", 3),
    ]
}

extension String {
    /// Whether the two strings are the same UTF-8 bytes. A file's names and keys are bytes:
    /// compared as such, not as Unicode text (String's `==` equates canonically equivalent
    /// spellings, and pulls Unicode's normalization tables into a microcontroller image).
    @inlinable public func sameBytes(_ other: String) -> Bool { utf8.elementsEqual(other.utf8) }
}
