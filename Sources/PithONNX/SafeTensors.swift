import Foundation
import PithFormat
import PithIO
import PithNN
import PithTensor

/// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON naming each tensor's dtype, shape and byte range
/// ("data_offsets", relative to the data after the header), then the data. Pith writes a
/// checkpoint's weights as F32 under their Pith names (`layer3.weight`), and reads a state
/// dict onto a model description: by those names when the file uses them, otherwise
/// PyTorch's module order — the names' module prefixes (`0`, `fc1`, `layers.10`) in natural
/// order (numbers by value), within a module `weight`, then `bias` — each shape checked. F32, F64, F16 and BF16 values are read; every length, offset and product is
/// checked against the file before it is used.
public enum SafeTensors {
    /// Largest JSON header read (the format's own writers cap it at 100 MB).
    public static let maxHeader = 100 << 20

    public struct Entry: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
    }

    /// The file's bytes for `names` (in order) and `tensors`, with `metadata` in
    /// `__metadata__`.
    public static func encode(_ tensors: [(name: String, shape: [Int], values: [Float])], metadata: [String: String] = [:]) -> [UInt8] {
        var header = "{"
        var offset = 0
        var parts: [String] = []
        if !metadata.isEmpty {
            parts.append("\"__metadata__\":{" + metadata.keys.sorted().map { "\(quoted($0)):\(quoted(metadata[$0]!))" }.joined(separator: ",") + "}")
        }
        for t in tensors {
            let bytes = 4 * t.values.count
            parts.append("\(quoted(t.name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        header += parts.joined(separator: ",") + "}"
        // Padded with spaces to a multiple of 8, as the reference writer does.
        while (header.utf8.count) % 8 != 0 { header += " " }
        var out = [UInt8]()
        let n = UInt64(header.utf8.count)
        for i in 0 ..< 8 { out.append(UInt8(truncatingIfNeeded: n >> UInt64(8 * i))) }
        out += Array(header.utf8)
        out.reserveCapacity(out.count + offset)
        for t in tensors { out += littleEndianBytes(t.values) }
        return out
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: if c.value < 0x20 { out += String(format: "\\u%04x", c.value) } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }

    /// The tensors of a safetensors file, in the order of their data; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String) throws(PithError) -> [Entry] {
        func bad(_ problem: String) -> PithError { .badFile(path: path, problem: problem) }
        guard bytes.count >= 8 else { throw bad("shorter than the 8-byte header length") }
        var n: UInt64 = 0
        for i in 0 ..< 8 { n |= UInt64(bytes[i]) << UInt64(8 * i) }
        guard n <= UInt64(maxHeader), n <= UInt64(bytes.count - 8) else { throw bad("header length \(n) is past the file's \(bytes.count) bytes (or above 100 MB)") }
        let data = bytes[(8 + Int(n))...]
        guard let json = try? JSONSerialization.jsonObject(with: Data(bytes[8 ..< 8 + Int(n)])), let object = json as? [String: Any] else {
            throw bad("the header is not a JSON object")
        }
        var entries: [(start: Int, entry: Entry)] = []
        for (name, value) in object where name != "__metadata__" {
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String, let shape = info["shape"] as? [Int],
                  let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw bad("tensor '\(name)': dtype, shape and data_offsets are required")
            }
            let size: Int
            switch dtype {
            case "F32": size = 4
            case "F64": size = 8
            case "F16", "BF16": size = 2
            default: throw bad("tensor '\(name)': dtype \(dtype) (F32, F64, F16 and BF16 are read)")
            }
            var count = 1
            for d in shape {
                guard d >= 0 else { throw bad("tensor '\(name)': dimension \(d) is negative") }
                let (p, o) = count.multipliedReportingOverflow(by: d)
                guard !o, p <= 1 << 28 else { throw bad("tensor '\(name)': shape \(shape) holds more than 2^28 values") }
                count = p
            }
            let (start, end) = (offsets[0], offsets[1])
            guard start >= 0, start <= end, end <= data.count, end - start == count * size else {
                throw bad("tensor '\(name)': data_offsets \(offsets) do not hold \(count) \(dtype) values within the \(data.count) data bytes")
            }
            var values = [Float](repeating: 0, count: count)
            let base = data.startIndex + start
            for i in 0 ..< count {
                var v: UInt64 = 0
                for k in 0 ..< size { v |= UInt64(data[base + i * size + k]) << UInt64(8 * k) }
                switch dtype {
                case "F32": values[i] = Float(bitPattern: UInt32(v))
                case "F64": values[i] = Float(Double(bitPattern: v))
                case "BF16": values[i] = Float(bitPattern: UInt32(v) << 16)
                default: values[i] = Float(Float16(bitPattern: UInt16(v)))
                }
            }
            entries.append((start, Entry(name: name, shape: shape, values: values)))
        }
        return entries.sorted { ($0.start, $0.entry.name) < ($1.start, $1.entry.name) }.map(\.entry)
    }

    /// The entries in PyTorch's module order: module prefixes in natural order, `weight`
    /// before `bias` within one.
    static func moduleOrder(_ entries: [Entry]) -> [Entry] {
        func split(_ name: String) -> (String, String) {
            guard let dot = name.lastIndex(of: ".") else { return ("", name) }
            return (String(name[..<dot]), String(name[name.index(after: dot)...]))
        }
        /// Runs of digits compared by value, the rest by character.
        func natural(_ a: String, _ b: String) -> Bool {
            func runs(_ s: String) -> [(Bool, String)] {
                var out: [(Bool, String)] = []
                for c in s {
                    let digit = c.isASCII && c.isNumber
                    if let last = out.last, last.0 == digit { out[out.count - 1].1.append(c) } else { out.append((digit, String(c))) }
                }
                return out
            }
            for (x, y) in zip(runs(a), runs(b)) where x.1 != y.1 {
                if x.0 && y.0, let i = Int(x.1.prefix(18)), let j = Int(y.1.prefix(18)), i != j { return i < j }
                return x.1 < y.1
            }
            return a.count < b.count
        }
        func rank(_ leaf: String) -> Int { leaf == "weight" ? 0 : leaf == "bias" ? 1 : 2 }
        return entries.sorted { e, f in
            let (pe, le) = split(e.name), (pf, lf) = split(f.name)
            if pe != pf { return natural(pe, pf) }
            if rank(le) != rank(lf) { return rank(le) < rank(lf) }
            return le < lf
        }
    }

    /// `description`'s model with the file's weights: by Pith's names (`layer3.weight`) when
    /// every parameter has one in the file, else in PyTorch's module order (`moduleOrder`).
    public static func model(_ description: ModelDescription, entries: [Entry], path: String) throws(PithError) -> Model {
        let model = Model(description, seed: 0)
        let names = model.parameterNames
        let byName = Dictionary(entries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let chosen: [Entry]
        if names.allSatisfy({ byName[$0] != nil }) {
            chosen = names.map { byName[$0]! }
        } else {
            guard entries.count == names.count else {
                throw .mismatch("\(path) holds \(entries.count) tensors; model '\(description.name)' has \(names.count) parameters (\(names.joined(separator: ", ")))")
            }
            chosen = moduleOrder(entries)
        }
        for (i, (p, e)) in zip(model.parameters, chosen).enumerated() {
            guard e.shape == p.shape else {
                throw .mismatch("\(path): tensor '\(e.name)' has shape \(e.shape); \(names[i]) of model '\(description.name)' is \(p.shape)")
            }
            guard e.values.allSatisfy(\.isFinite) else { throw .badFile(path: path, problem: "tensor '\(e.name)' holds a NaN or infinite value") }
            for j in 0 ..< p.count { p.data[j] = e.values[j] }
        }
        return model
    }
}
