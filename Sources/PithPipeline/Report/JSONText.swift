import Foundation

/// JSON text for the `--json` outputs: strings quoted and escaped (quotes, backslashes,
/// control characters), numbers with `null` for a value that is not finite.
public enum JSONText {
    public static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    public static func number(_ d: Double) -> String { d.isFinite ? "\(d)" : "null" }
}
