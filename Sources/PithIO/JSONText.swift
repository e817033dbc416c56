/// JSON text for the `--json` outputs of `pith` and `pith-run` (Foundation-free): strings
/// quoted and escaped (quotes, backslashes, \n, \r, \t, other control characters as \u00XX),
/// numbers with `null` for a value that is not finite.
public enum JSONText {
    public static func string(_ s: String) -> String {
        let hex: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += "\\u00"
                    out.append(hex[Int(u.value >> 4)])
                    out.append(hex[Int(u.value & 15)])
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    public static func number(_ d: Double) -> String { d.isFinite ? "\(d)" : "null" }
}
