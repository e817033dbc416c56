import PithIO
import Foundation
import PithFormat
import PithQuant

/// Text and JSON views of an opened `.pith` file, for `pith inspect` and `pith pack`.
public enum Report {
    /// Per tensor: where its bytes are, how they are stored, and the order-0 entropy bound
    /// of its bytes. "stored" is exact when the tensor has a section to itself; a tensor
    /// sharing a section gets the section's stored size split in proportion (marked ~).
    struct TensorRow {
        var index: Int
        var info: TensorInfo
        var rawBytes: Int
        var storedBytes: Double?
        var storedIsExact: Bool
        var entropyBound: Double?
        var checksumOK: Bool?
    }

    static func tensorRows(_ file: PithFile) -> [TensorRow] {
        file.tensors.enumerated().map { i, t in
            guard let loc = t.location else {
                return TensorRow(index: i, info: t, rawBytes: 0, storedBytes: nil, storedIsExact: true, entropyBound: nil, checksumOK: nil)
            }
            let section = file.sections[loc.section]
            let sharers = file.tensors.filter { $0.location?.section == loc.section }
            let share = Double(loc.size) / Double(max(1, sharers.reduce(0) { $0 + ($1.location?.size ?? 0) }))
            let bound: Double? = t.dtype.size == 1 ? ByteEntropy.boundBytes(file.data(of: i)) : nil
            return TensorRow(index: i, info: t, rawBytes: loc.size, storedBytes: Double(section.storedSize) * share,
                             storedIsExact: sharers.count == 1, entropyBound: bound,
                             checksumOK: file.sectionChecksumsOK[loc.section])
        }
    }

    static func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ",") + "]" }

    static func quantization(_ q: Quantization) -> String {
        switch q {
        case .none: return "-"
        case let .perTensor(scale, zp): return "scale \(String(format: "%.3g", scale)) zp \(zp)"
        case let .perChannel(axis, scales, _):
            return "per-channel ax\(axis) \(String(format: "%.3g", scales.min() ?? 0))..\(String(format: "%.3g", scales.max() ?? 0))"
        }
    }

    static func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
        if s.count >= n { return right ? " " + s : s + " " }
        return right ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count)
    }

    public static func tensorTable(_ file: PithFile) -> String {
        var lines = ["tensors"]
        lines.append("  " + pad("name", 16) + pad("dtype", 8) + pad("shape", 16) + pad("quantization", 30) + pad("filter", 10)
                     + pad("bytes", 9, right: true) + pad("stored", 11, right: true) + pad("ratio", 7, right: true)
                     + pad("H0 bound", 10, right: true) + "  checksum")
        var raw = 0, stored = 0.0, int8Raw = 0, int8Stored = 0.0, int8Bound = 0.0
        for row in tensorRows(file) where row.info.role == .constant {
            let st = row.storedBytes ?? 0
            raw += row.rawBytes
            stored += st
            if let b = row.entropyBound {
                int8Raw += row.rawBytes
                int8Stored += st
                int8Bound += b
            }
            lines.append("  " + pad(row.info.name, 16) + pad(row.info.dtype.name, 8) + pad(shape(row.info.shape), 16)
                         + pad(quantization(row.info.quantization), 30) + pad(row.info.location?.filter.name ?? "-", 10)
                         + pad("\(row.rawBytes)", 9, right: true)
                         + pad((row.storedIsExact ? "" : "~") + String(format: "%.0f", st), 11, right: true)
                         + pad(String(format: "%.2f", Double(row.rawBytes) / max(st, 1)), 7, right: true)
                         + pad(row.entropyBound.map { String(format: "%.0f", $0) } ?? "-", 10, right: true)
                         + "  " + (row.checksumOK == true ? "OK" : "BAD"))
        }
        lines.append("  constants: \(raw) bytes, stored \(String(format: "%.0f", stored))")
        if int8Raw > 0 {
            lines.append("  8-bit weights: \(int8Raw) bytes, stored \(String(format: "%.0f", int8Stored)), order-0 entropy bound \(String(format: "%.0f", int8Bound)) (stored/bound \(String(format: "%.4f", int8Stored / max(int8Bound, 1))))")
        }
        return lines.joined(separator: "\n")
    }

    public static func text(_ file: PithFile, path: String) -> String {
        var lines: [String] = []
        lines.append("file      \(path)")
        lines.append("header    .pith version \(file.header.version), \(file.header.fileSize) bytes, \(file.sections.count) sections, checksums: header OK, file OK, sections \(file.sectionChecksumsOK.allSatisfy { $0 } ? "OK" : "BAD")")
        lines.append("")
        lines.append("sections")
        lines.append("  #  " + pad("kind", 14) + pad("encoding", 10) + pad("offset", 10, right: true) + pad("stored", 11, right: true)
                     + pad("size", 11, right: true) + pad("ratio", 7, right: true) + "  checksum")
        for (i, s) in file.sections.enumerated() {
            lines.append("  " + pad("\(i)", 3) + pad(s.kind.name, 14) + pad(s.encoding.name, 10) + pad("\(s.offset)", 10, right: true)
                         + pad("\(s.storedSize)", 11, right: true) + pad("\(s.size)", 11, right: true)
                         + pad(String(format: "%.2f", Double(s.size) / Double(max(s.storedSize, 1))), 7, right: true)
                         + "  \(hex(s.checksum)) " + (file.sectionChecksumsOK[i] ? "OK" : "BAD"))
        }
        lines.append("")
        lines.append("metadata")
        for (key, value) in file.metadata.entries {
            lines.append("  " + pad(key, 28) + metadataText(value))
        }
        lines.append("")
        lines.append("graph")
        func names(_ list: [Int]) -> String {
            list.map { "\(file.tensors[$0].name) \(file.tensors[$0].dtype.name) \(shape(file.tensors[$0].shape))" }.joined(separator: ", ")
        }
        lines.append("  inputs   " + names(file.graph.inputs))
        lines.append("  outputs  " + names(file.graph.outputs))
        for (i, node) in file.graph.nodes.enumerated() {
            let ins = node.inputs.map { file.tensors[$0].name }.joined(separator: ", ")
            let outs = node.outputs.map { file.tensors[$0].name }.joined(separator: ", ")
            let attrs = node.attributes.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            lines.append("  " + pad("\(i)", 4) + pad(node.op.name, 11) + pad(node.name, 14) + "(\(ins)) -> \(outs)" + (attrs.isEmpty ? "" : "  " + attrs))
        }
        lines.append("")
        lines.append(tensorTable(file))
        return lines.joined(separator: "\n")
    }

    static func metadataText(_ v: MetadataValue) -> String {
        switch v {
        case let .string(s): return s
        case let .int(i): return "\(i)"
        case let .double(d): return "\(d)"
        case let .strings(list): return list.joined(separator: ", ")
        }
    }

    // MARK: JSON

    public static func json(_ file: PithFile, path: String) -> String {
        func string(_ s: String) -> String { JSONText.string(s) }
        func number(_ d: Double) -> String { JSONText.number(d) }
        func object(_ pairs: [(String, String)]) -> String { "{" + pairs.map { string($0.0) + ":" + $0.1 }.joined(separator: ",") + "}" }
        func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
        let sections = file.sections.enumerated().map { i, s in
            object([("kind", string(s.kind.name)), ("encoding", string(s.encoding.name)), ("offset", "\(s.offset)"),
                    ("storedSize", "\(s.storedSize)"), ("size", "\(s.size)"), ("checksum", string(hex(s.checksum))),
                    ("checksumOK", "\(file.sectionChecksumsOK[i])")])
        }
        let metadata = object(file.metadata.entries.map { key, value in
            switch value {
            case let .string(s): return (key, string(s))
            case let .int(i): return (key, "\(i)")
            case let .double(d): return (key, number(d))
            case let .strings(list): return (key, array(list.map(string)))
            }
        })
        let nodes = file.graph.nodes.map { n in
            object([("op", string(n.op.name)), ("name", string(n.name)),
                    ("inputs", array(n.inputs.map { string(file.tensors[$0].name) })),
                    ("outputs", array(n.outputs.map { string(file.tensors[$0].name) })),
                    ("attributes", object(n.attributes.map { ($0.key, "\($0.value)") }))])
        }
        let tensors = tensorRows(file).map { row -> String in
            var pairs: [(String, String)] = [("name", string(row.info.name)), ("dtype", string(row.info.dtype.name)),
                                             ("shape", array(row.info.shape.map(String.init))),
                                             ("role", string(row.info.role == .constant ? "constant" : "value"))]
            switch row.info.quantization {
            case .none: break
            case let .perTensor(scale, zp):
                pairs.append(("quantization", object([("kind", string("per-tensor")), ("scale", number(Double(scale))), ("zeroPoint", "\(zp)")])))
            case let .perChannel(axis, scales, zps):
                pairs.append(("quantization", object([("kind", string("per-channel")), ("axis", "\(axis)"),
                                                      ("scales", array(scales.map { number(Double($0)) })),
                                                      ("zeroPoints", array(zps.map(String.init)))])))
            }
            if let loc = row.info.location {
                pairs += [("section", "\(loc.section)"), ("offset", "\(loc.offset)"), ("bytes", "\(row.rawBytes)"),
                          ("filter", string(loc.filter.name)),
                          ("storedBytes", number((row.storedBytes ?? 0).rounded())), ("storedIsExact", "\(row.storedIsExact)"),
                          ("checksumOK", "\(row.checksumOK == true)")]
                if let b = row.entropyBound { pairs.append(("entropyBoundBytes", number((b * 10).rounded() / 10))) }
            }
            return object(pairs)
        }
        return object([
            ("file", string(path)), ("version", "\(file.header.version)"), ("fileSize", "\(file.header.fileSize)"),
            ("checksumsOK", "\(file.sectionChecksumsOK.allSatisfy { $0 })"),
            ("sections", array(sections)), ("metadata", metadata),
            ("graph", object([("inputs", array(file.graph.inputs.map { string(file.tensors[$0].name) })),
                              ("outputs", array(file.graph.outputs.map { string(file.tensors[$0].name) })),
                              ("nodes", array(nodes))])),
            ("tensors", array(tensors)),
        ])
    }
}
