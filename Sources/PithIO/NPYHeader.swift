extension NPY {
    /// The header of a `.npy` file: a Python dict literal with exactly the keys `descr` (a
    /// string), `fortran_order` (True or False) and `shape` (a tuple of whole numbers, a
    /// trailing comma and Python 2's `L` suffix allowed), in any order, then only padding
    /// (spaces, a newline). Anything else — another key, a key twice, a list `descr` (a
    /// structured dtype) — is refused with the reason.
    struct Header {
        var descr = ""
        var fortranOrder = false
        var shape: [Int] = []

        init(_ text: ArraySlice<UInt8>, file: String) throws(IOFailure) {
            var p = Parser(bytes: text, file: file)
            try p.expect(UInt8(ascii: "{"))
            var seen: [String] = []
            while true {
                p.skipSpace()
                if p.peek == UInt8(ascii: "}") { p.index += 1; break }
                let key = try p.string()
                guard !seen.contains(key) else { throw p.bad("key '\(key)' appears twice") }
                seen.append(key)
                try p.expect(UInt8(ascii: ":"))
                p.skipSpace()
                switch key {
                case "descr":
                    guard p.peek == UInt8(ascii: "'") || p.peek == UInt8(ascii: "\"") else {
                        throw p.bad("'descr' is not a string (a structured dtype is not read)")
                    }
                    descr = try p.string()
                case "fortran_order": fortranOrder = try p.boolean()
                case "shape": shape = try p.tuple()
                default: throw p.bad("unexpected key '\(Bytes.quote(ArraySlice(key.utf8), limit: 40))' (only 'descr', 'fortran_order' and 'shape')")
                }
                p.skipSpace()
                if p.peek == UInt8(ascii: ",") { p.index += 1; continue }
                p.skipSpace()
                guard p.peek == UInt8(ascii: "}") else { throw p.bad("expected ',' or '}' after the value of '\(key)'") }
            }
            while let c = p.peek, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 || c == 0 { p.index += 1 }
            guard p.peek == nil else { throw p.bad("text after the header's closing '}'") }
            for key in ["descr", "fortran_order", "shape"] where !seen.contains(key) {
                throw p.bad("the header has no '\(key)'")
            }
        }
    }

    /// A cursor over the header's bytes.
    struct Parser {
        let bytes: ArraySlice<UInt8>
        let file: String
        var index: Int

        init(bytes: ArraySlice<UInt8>, file: String) {
            self.bytes = bytes
            self.file = file
            index = bytes.startIndex
        }

        var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

        func bad(_ problem: String) -> IOFailure { IOFailure(file, ".npy header: " + problem) }

        mutating func skipSpace() {
            while let c = peek, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { index += 1 }
        }

        mutating func expect(_ c: UInt8) throws(IOFailure) {
            skipSpace()
            guard peek == c else { throw bad("expected '\(String(decoding: [c], as: UTF8.self))'") }
            index += 1
        }

        /// A quoted string without escapes (numpy writes none in these keys and values).
        mutating func string() throws(IOFailure) -> String {
            skipSpace()
            guard let q = peek, q == UInt8(ascii: "'") || q == UInt8(ascii: "\"") else { throw bad("expected a quoted key or string") }
            index += 1
            let start = index
            while let c = peek, c != q {
                guard c != UInt8(ascii: "\\") else { throw bad("escapes in strings are not read") }
                index += 1
            }
            guard peek == q else { throw bad("a string is not closed") }
            let s = String(decoding: bytes[start..<index], as: UTF8.self)
            index += 1
            return s
        }

        mutating func word() -> ArraySlice<UInt8> {
            let start = index
            while let c = peek, (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) { index += 1 }
            return bytes[start..<index]
        }

        mutating func boolean() throws(IOFailure) -> Bool {
            let w = word()
            if w.elementsEqual("True".utf8) { return true }
            if w.elementsEqual("False".utf8) { return false }
            throw bad("'fortran_order' is '\(Bytes.quote(w, limit: 40))', not True or False")
        }

        mutating func tuple() throws(IOFailure) -> [Int] {
            guard peek == UInt8(ascii: "(") else { throw bad("'shape' is not a tuple") }
            index += 1
            var sizes: [Int] = []
            while true {
                skipSpace()
                if peek == UInt8(ascii: ")") { index += 1; return sizes }
                guard sizes.count < IOLimits.maxRank else { throw bad("'shape' has more than \(IOLimits.maxRank) sizes") }
                var w = word()
                if w.last == UInt8(ascii: "L") { w = w.dropLast() }
                guard !w.isEmpty, w.count <= 18, w.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    throw bad("'shape' entry '\(Bytes.quote(w, limit: 40))' is not a size")
                }
                var n = 0
                for c in w { n = n * 10 + Int(c - 0x30) }
                sizes.append(n)
                skipSpace()
                if peek == UInt8(ascii: ",") { index += 1; continue }
                skipSpace()
                guard peek == UInt8(ascii: ")") else { throw bad("expected ',' or ')' in 'shape'") }
            }
        }
    }
}
