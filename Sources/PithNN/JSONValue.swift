import Foundation

/// A JSON value held as it was written: how a checkpoint stores configuration that belongs
/// to another module (the distillation objective's, PithDistill's), which PithNN keeps and
/// writes back without reading it. Its owner encodes its own `Codable` type into one
/// (`init(encoding:)`) and decodes it back (`decode(_:field:)`).
///
/// Numbers are held as Double. A Float or an integer up to 2⁵³ written by JSONEncoder reads
/// back as the Double nearest to its digits, which JSONEncoder writes as the same digits:
/// the checkpoint's bytes are those of the owner's type encoded in place.
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: Key.self) {
            var fields: [String: JSONValue] = [:]
            for key in object.allKeys { fields[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(fields)
        } else if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                self = .null
            } else if let b = try? single.decode(Bool.self) {
                self = .bool(b)
            } else if let x = try? single.decode(Double.self) {
                self = .number(x)
            } else {
                self = .string(try single.decode(String.self))
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case let .bool(b):
            var single = encoder.singleValueContainer()
            try single.encode(b)
        case let .number(x):
            var single = encoder.singleValueContainer()
            try single.encode(x)
        case let .string(s):
            var single = encoder.singleValueContainer()
            try single.encode(s)
        case let .array(items):
            var array = encoder.unkeyedContainer()
            for item in items { try array.encode(item) }
        case let .object(fields):
            var object = encoder.container(keyedBy: Key.self)
            for (key, value) in fields { try object.encode(value, forKey: Key(stringValue: key)) }
        }
    }

    /// `value` as JSON.
    public init<T: Encodable>(encoding value: T) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
    }

    /// The `T` this JSON holds; `field` (e.g. "config.distillation") names it in the one-line
    /// problem thrown when it holds none: "field 'config.distillation.alpha' is missing".
    public func decode<T: Decodable>(_ type: T.Type, field: String) throws(PithError) -> T {
        let data: Data
        do { data = try JSONEncoder().encode(self) } catch { throw .mismatch("field '\(field)' cannot be encoded") }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw .mismatch(PithError.jsonProblem(error, under: field))
        }
    }
}
