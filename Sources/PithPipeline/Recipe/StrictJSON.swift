import PithNN

/// A strict JSON reader (RFC 8259) for recipes and manifests, without Foundation: a field
/// given twice is refused, naming it ("field 'teacher.epochs' appears twice"), as are nesting
/// deeper than `maxDepth`, texts longer than `maxBytes`, numbers that overflow a Double,
/// invalid UTF-8 and lone surrogates; every error gives the line and column. Nothing a text
/// holds traps: recursion is bounded by `maxDepth`.
public struct StrictJSON {
    static let maxDepth = 64
    static let maxBytes = 1 << 24

    /// What is wrong with a text, and where (line and column from 1; columns count characters).
    public struct Problem: Error, CustomStringConvertible {
        var line: Int
        var column: Int
        var message: String
        public var description: String { "line \(line), column \(column): \(message)" }
    }

    /// The value `bytes` holds (one value, with white space around it).
    public static func parse(_ bytes: [UInt8]) throws(Problem) -> JSONValue {
        var reader = StrictJSON(bytes: bytes)
        guard bytes.count <= maxBytes else { throw reader.problem("the text is \(bytes.count) bytes; at most \(maxBytes) are read") }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.index = 3 }  // a UTF-8 byte order mark
        reader.skipSpace()
        let value = try reader.value(path: "", depth: 0)
        reader.skipSpace()
        guard reader.index == bytes.count else { throw reader.problem("unexpected \(reader.found) after the value") }
        return value
    }

    let bytes: [UInt8]
    var index = 0

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// A problem at the current position.
    func problem(_ message: String) -> Problem { problem(message, at: index) }

    func problem(_ message: String, at position: Int) -> Problem {
        var line = 1, column = 1
        for b in bytes[..<min(position, bytes.count)] {
            if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return Problem(line: line, column: column, message: message)
    }

    /// The byte at the current position, described for an error.
    var found: String {
        guard index < bytes.count else { return "the end of the text" }
        let b = bytes[index]
        return b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
    }

    mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    /// The field path for messages: "field 'teacher.epochs'", "field 'student.hint[1]'"; "the
    /// top level" for the outermost value.
    static func name(_ path: String) -> String { path.isEmpty ? "the top level" : "field '\(path)'" }

    mutating func value(path: String, depth: Int) throws(Problem) -> JSONValue {
        guard index < bytes.count else { throw problem("\(Self.name(path)): expected a value, found the end of the text") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(path: path, depth: depth + 1)
        case UInt8(ascii: "["): return try array(path: path, depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number(path: path))
        default: throw problem("\(Self.name(path)): expected a value, found \(found)")
        }
    }

    mutating func checkDepth(_ depth: Int, path: String) throws(Problem) {
        guard depth <= Self.maxDepth else { throw problem("\(Self.name(path)): nested deeper than \(Self.maxDepth) levels") }
    }

    mutating func object(path: String, depth: Int) throws(Problem) -> JSONValue {
        try checkDepth(depth, path: path)
        index += 1
        var fields: [String: JSONValue] = [:]
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
        while true {
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw problem("\(Self.name(path)): expected a field name in double quotes, found \(found)")
            }
            let start = index
            let key = try string()
            let keyPath = path.isEmpty ? key : path + "." + key
            guard fields[key] == nil else { throw problem("field '\(keyPath)' appears twice", at: start) }
            skipSpace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw problem("field '\(keyPath)': expected ':', found \(found)") }
            index += 1
            skipSpace()
            fields[key] = try value(path: keyPath, depth: depth)
            skipSpace()
            guard index < bytes.count else { throw problem("\(Self.name(path)): expected ',' or '}', found the end of the text") }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
            guard bytes[index] == UInt8(ascii: ",") else { throw problem("\(Self.name(path)): expected ',' or '}' after field '\(keyPath)', found \(found)") }
            index += 1
        }
    }

    mutating func array(path: String, depth: Int) throws(Problem) -> JSONValue {
        try checkDepth(depth, path: path)
        index += 1
        var items: [JSONValue] = []
        skipSpace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipSpace()
            items.append(try value(path: "\(path)[\(items.count)]", depth: depth))
            skipSpace()
            guard index < bytes.count else { throw problem("\(Self.name(path)): expected ',' or ']', found the end of the text") }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            guard bytes[index] == UInt8(ascii: ",") else { throw problem("\(Self.name(path)): expected ',' or ']', found \(found)") }
            index += 1
        }
    }

    mutating func literal(_ word: String) throws(Problem) {
        for b in word.utf8 {
            guard index < bytes.count, bytes[index] == b else { throw problem("expected '\(word)', found \(found)") }
            index += 1
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, as a finite Double.
    mutating func number(path: String) throws(Problem) -> Double {
        let start = index
        func digits(_ r: inout StrictJSON) -> Int {
            let s = r.index
            while r.index < r.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(r.bytes[r.index]) { r.index += 1 }
            return r.index - s
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let leadingZero = index < bytes.count && bytes[index] == UInt8(ascii: "0")
        let whole = digits(&self)
        guard whole > 0 else { throw problem("\(Self.name(path)): expected a digit, found \(found)") }
        guard !leadingZero || whole == 1 else { throw problem("\(Self.name(path)): a number does not start with 0", at: start) }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits(&self) > 0 else { throw problem("\(Self.name(path)): expected a digit after '.', found \(found)") }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits(&self) > 0 else { throw problem("\(Self.name(path)): expected a digit in the exponent, found \(found)") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let n = Double(text), n.isFinite else { throw problem("\(Self.name(path)): \(text) is too large for a number", at: start) }
        return n
    }

    /// A string from its opening quote: escapes decoded, UTF-8 checked.
    mutating func string() throws(Problem) -> String {
        let start = index
        index += 1
        var out: [UInt8] = []
        while true {
            guard index < bytes.count else { throw problem("a string is not closed (it began at line \(problem("", at: start).line), column \(problem("", at: start).column))") }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") { index += 1; break }
            guard b >= 0x20 else { throw problem("a control character (byte 0x\(String(b, radix: 16))) in a string; write it as an escape") }
            guard b == UInt8(ascii: "\\") else { out.append(b); index += 1; continue }
            index += 1
            guard index < bytes.count else { continue }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code) {
                    guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw problem("a \\u escape of a lone surrogate (0x\(String(code, radix: 16)))")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw problem("a \\u escape of a lone surrogate (0x\(String(code, radix: 16)))") }
                    code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw problem("a \\u escape of a lone surrogate (0x\(String(code, radix: 16)))") }
                out += Array(String(Character(scalar)).utf8)
            default:
                index -= 1
                throw problem("'\\\(Character(Unicode.Scalar(e)))' is not an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
            }
        }
        var utf8 = UTF8(), scalars = out.makeIterator()
        while true {
            switch utf8.decode(&scalars) {
            case .scalarValue: continue
            case .emptyInput: return String(decoding: out, as: UTF8.self)
            case .error: throw problem("a string that is not valid UTF-8", at: start)
            }
        }
    }

    /// Four hexadecimal digits of a \u escape.
    mutating func hex4() throws(Problem) -> UInt32 {
        guard bytes.count - index >= 4 else { throw problem("a \\u escape needs four hexadecimal digits") }
        var v: UInt32 = 0
        for b in bytes[index..<index + 4] {
            guard let d = Character(Unicode.Scalar(b)).hexDigitValue else { throw problem("a \\u escape needs four hexadecimal digits") }
            v = v << 4 | UInt32(d)
        }
        index += 4
        return v
    }
}
