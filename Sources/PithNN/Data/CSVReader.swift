/// Reader for labelled numeric CSV: each row holds the feature values, then the class
/// label as a whole number in the last column. No header row; plain or gzip.
public enum CSVReader {
    /// Parses CSV text into (features, labels). `scale` multiplies every feature value;
    /// labels must lie in 0..<classes. Errors name `path` and the line.
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
            var fields: [Substring] = []
            let line = String(decoding: bytes[start..<lineEnd], as: UTF8.self)
            fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if columns < 0 {
                guard fields.count >= 2 else {
                    throw .badFile(path: "\(path):\(lineNumber)", problem: "needs at least one feature column and a label, found \(fields.count) column")
                }
                columns = fields.count
            }
            guard fields.count == columns else {
                throw .badFile(path: "\(path):\(lineNumber)", problem: "\(fields.count) columns, but the first row has \(columns)")
            }
            for (i, field) in fields.dropLast().enumerated() {
                guard let v = Float(field.trimmingSpaces), v.isFinite else {
                    throw .badFile(path: "\(path):\(lineNumber)", problem: "column \(i + 1) '\(field)' is not a finite number")
                }
                features.append(v * scale)
            }
            let labelText = fields[columns - 1].trimmingSpaces
            guard let label = Int32(labelText), label >= 0, Int(label) < classes else {
                throw .badFile(path: "\(path):\(lineNumber)", problem: "label '\(labelText)' is not a class number in 0..<\(classes)")
            }
            labels.append(label)
        }
        guard !labels.isEmpty else { throw .badFile(path: path, problem: "no data rows") }
        return (features, labels, columns - 1)
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
