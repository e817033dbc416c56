/// Reader for labelled numeric CSV: each row holds the feature values, then the class
/// label as a whole number in the last column. No header row; plain or gzip.
///
/// Fields are parsed straight from the bytes, one small field at a time (no string per
/// line), so memory is the result's: at most `maxValues` floats and one label per row.
public enum CSVReader {
    /// Most columns in a row, the label included.
    public static let maxColumns = 1 << 16
    /// Most feature values in one file: 1 GiB of Float32.
    public static let maxValues = 1 << 28
    /// Longest field, in bytes after trimming spaces; a number needs far fewer.
    public static let maxFieldLength = 64
    /// Bytes of a bad field quoted in an error.
    static let quotedLength = 24

    /// Parses CSV text into (features, labels). `scale` multiplies every feature value;
    /// labels must lie in 0..<classes. Errors name `path` and the line ("d.csv:3: ...").
    public static func parse(_ bytes: [UInt8], path: String, scale: Float, classes: Int) throws(PithError) -> (features: [Float], labels: [Int32], columns: Int) {
        var features: [Float] = []
        var labels: [Int32] = []
        var columns = -1
        var lineNumber = 0
        var start = 0
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            defer { start = end + 1 }
            if lineEnd == start { continue }
            func bad(_ problem: String) -> PithError { .badFile(path: "\(path):\(lineNumber)", problem: problem) }
            var fields = 1
            for i in start..<lineEnd where bytes[i] == 0x2C { fields += 1 }
            if columns < 0 {
                guard fields >= 2 else {
                    throw bad("needs at least one feature column and a label, found \(fields) column")
                }
                guard fields <= maxColumns else { throw bad("\(fields) columns, more than the \(maxColumns) allowed") }
                columns = fields
            }
            guard fields == columns else { throw bad("\(fields) columns, but the first row has \(columns)") }
            guard features.count + columns - 1 <= maxValues else {
                throw bad("the rows up to here hold more than \(maxValues) values")
            }
            var fieldStart = start
            for column in 1...columns {
                var fieldEnd = fieldStart
                while fieldEnd < lineEnd && bytes[fieldEnd] != 0x2C { fieldEnd += 1 }
                let field = trimmed(bytes[fieldStart..<fieldEnd])
                let text = field.count <= maxFieldLength ? String(decoding: field, as: UTF8.self) : nil
                if column < columns {
                    guard let text, let v = Float(text), v.isFinite else {
                        throw bad("column \(column) '\(quote(field))' is not a finite number")
                    }
                    guard (v * scale).isFinite else { throw bad("column \(column) '\(quote(field))' times the scale \(scale) is not finite") }
                    features.append(v * scale)
                } else {
                    guard let text, let label = Int32(text), label >= 0, Int(label) < classes else {
                        throw bad("label '\(quote(field))' is not a class number in 0..<\(classes)")
                    }
                    labels.append(label)
                }
                fieldStart = fieldEnd + 1
            }
        }
        guard !labels.isEmpty else { throw .badFile(path: path, problem: "no data rows") }
        return (features, labels, columns - 1)
    }

    /// `field` without leading and trailing spaces and tabs.
    static func trimmed(_ field: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var s = field
        while let f = s.first, f == 0x20 || f == 0x09 { s.removeFirst() }
        while let l = s.last, l == 0x20 || l == 0x09 { s.removeLast() }
        return s
    }

    /// A field for an error message: its first `quotedLength` bytes, cut before a UTF-8
    /// continuation byte, and "…" when cut.
    static func quote(_ field: ArraySlice<UInt8>) -> String {
        guard field.count > quotedLength else { return String(decoding: field, as: UTF8.self) }
        var end = field.startIndex + quotedLength
        while end > field.startIndex && field[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: field[field.startIndex..<end], as: UTF8.self) + "…"
    }
}
