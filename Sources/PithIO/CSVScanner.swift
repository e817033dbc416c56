extension CSV {
    /// Splits the bytes into rows and fields, one row at a time: after `nextRow`, `count` is
    /// the row's number of fields (all counted; the first `maxColumns` kept) and `field(j)`
    /// the j-th one's bytes, trimmed and unquoted.
    struct Scanner {
        let bytes: [UInt8]
        let file: String
        var position = 0
        /// The line the next byte is on.
        var nextLine = 1
        /// The line the current row starts on.
        var line = 0
        var count = 0
        /// Each kept field: its bytes' range, and whether it holds doubled quotes to undo.
        var fields: [(start: Int, end: Int, escaped: Bool)] = []

        init(bytes: [UInt8], file: String) {
            self.bytes = bytes
            self.file = file
            if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3 }
        }

        static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D }

        /// Moves to the next row that is not blank; false at the end of the bytes.
        mutating func nextRow() throws(IOFailure) -> Bool {
            let n = bytes.count
            while true {
                var q = position
                while q < n && Self.isSpace(bytes[q]) { q += 1 }
                if q == n { position = n; return false }
                if bytes[q] != 0x0A { break }
                position = q + 1
                nextLine += 1
            }
            line = nextLine
            count = 0
            fields.removeAll(keepingCapacity: true)
            while true {
                var p = position
                while p < n && (bytes[p] == 0x20 || bytes[p] == 0x09) { p += 1 }
                var field: (start: Int, end: Int, escaped: Bool)
                if p < n && bytes[p] == 0x22 {
                    var q = p + 1, escaped = false
                    while true {
                        guard q < n else { throw IOFailure(file, line: line, "column \(count + 1): a quoted field is not closed") }
                        if bytes[q] == 0x22 {
                            if q + 1 < n && bytes[q + 1] == 0x22 { escaped = true; q += 2; continue }
                            break
                        }
                        if bytes[q] == 0x0A { nextLine += 1 }
                        q += 1
                    }
                    field = (p + 1, q, escaped)
                    p = q + 1
                    while p < n && Self.isSpace(bytes[p]) { p += 1 }
                    guard p == n || bytes[p] == 0x2C || bytes[p] == 0x0A else {
                        throw IOFailure(file, line: line, "column \(count + 1): text after the closing quote")
                    }
                } else {
                    var q = p
                    while q < n && bytes[q] != 0x2C && bytes[q] != 0x0A { q += 1 }
                    var e = q
                    while e > p && Self.isSpace(bytes[e - 1]) { e -= 1 }
                    field = (p, e, false)
                    p = q
                }
                count += 1
                if fields.count < maxColumns { fields.append(field) }
                if p < n && bytes[p] == 0x2C {
                    position = p + 1
                    continue
                }
                if p < n { nextLine += 1 }
                position = min(p + 1, n)
                break
            }
            guard count <= maxColumns else { throw IOFailure(file, line: line, "\(count) columns, more than the \(maxColumns) allowed") }
            return true
        }

        /// Field j of the current row (j < count ≤ maxColumns), doubled quotes undone.
        func field(_ j: Int) -> ArraySlice<UInt8> {
            let f = fields[j]
            guard f.escaped else { return bytes[f.start..<f.end] }
            var out: [UInt8] = []
            var i = f.start
            while i < f.end {
                out.append(bytes[i])
                i += bytes[i] == 0x22 ? 2 : 1
            }
            return out[...]
        }
    }
}
