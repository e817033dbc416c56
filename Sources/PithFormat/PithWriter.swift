/// How the writer lays tensor data out and compresses it.
public struct WriteOptions: Sendable, Equatable {
    /// Which constants share a tensor-data section.
    public enum Layout: String, Sendable, CaseIterable {
        /// All constants in one section.
        case single
        /// One section per dtype (int8 weights apart from int32/float32 biases).
        case byDType = "by-dtype"
        /// One section per constant.
        case perTensor = "per-tensor"
    }

    public var layout: Layout = .byDType
    /// zstd level for tensor data, or nil to store it raw (usable in place).
    public var dataLevel: Int32? = 19
    /// zstd level for metadata, graph and tensor table, or nil for raw.
    public var structureLevel: Int32? = 19
    /// A compressed section is stored raw instead unless zstd saves at least this share
    /// of its bytes: raw sections are used in place from the memory map.
    public var minimumSaving: Double = 0.02

    public init() {}
}

/// One section as the writer stored it.
public struct WrittenSection: Sendable {
    public var entry: SectionEntry
    /// The tensors it holds (tensor-data sections).
    public var tensors: [Int]
}

/// Turns a `PithModel` into the bytes of a `.pith` file (docs/FORMAT.md).
public enum PithWriter {
    /// The file's bytes and its sections. Refuses (with the reader's own checks) a model
    /// whose file the reader would refuse.
    public static func encode(_ model: PithModel, options: WriteOptions = WriteOptions(),
                              limits: Limits = .spec) throws(FormatError) -> (bytes: [UInt8], sections: [WrittenSection]) {
        guard model.data.count == model.tensors.count else {
            throw .invalid(field: "model", problem: "\(model.tensors.count) tensors but \(model.data.count) data arrays")
        }
        var tensors = model.tensors
        // Group constants into data sections; sections 0-2 are metadata, graph, table.
        var groups: [[Int]] = []
        var groupKeys: [Int] = []
        for (i, t) in tensors.enumerated() where t.role == .constant {
            guard model.data[i].count == t.byteCount else {
                throw .invalid(field: "tensor '\(t.name)'", problem: "\(model.data[i].count) data bytes for \(t.byteCount) expected")
            }
            let key: Int
            switch options.layout {
            case .single: key = 0
            case .byDType: key = Int(t.dtype.rawValue)
            case .perTensor: key = i
            }
            if let g = groupKeys.firstIndex(of: key) { groups[g].append(i) } else {
                groupKeys.append(key)
                groups.append([i])
            }
        }
        guard 3 + groups.count <= Int(limits.maxSections) else {
            throw .limitExceeded(field: "header.sectionCount", value: UInt64(3 + groups.count), limit: UInt64(limits.maxSections))
        }
        var payloads: [[UInt8]] = []
        for (g, members) in groups.enumerated() {
            var w = ByteWriter()
            for i in members {
                w.pad(to: 64)
                tensors[i].location = DataLocation(section: 3 + g, offset: w.bytes.count, size: model.data[i].count)
                w.bytes.append(contentsOf: model.data[i])
            }
            payloads.append(w.bytes)
        }
        var sectionSizes: [Int?] = [nil, nil, nil]
        for p in payloads { sectionSizes.append(p.count) }
        try Validation.check(tensors: tensors, graph: model.graph, sectionSizes: sectionSizes)
        let structure = [SectionCodec.encode(model.metadata), SectionCodec.encode(model.graph), SectionCodec.encode(tensors)]
        // Check the structured sections with the reader's decoders too (string lengths, counts).
        _ = try withBytes(structure[0]) { (b) throws(FormatError) in try SectionCodec.decodeMetadata(b, limits: limits) }
        _ = try withBytes(structure[1]) { (b) throws(FormatError) in try SectionCodec.decodeGraph(b, limits: limits) }
        _ = try withBytes(structure[2]) { (b) throws(FormatError) in try SectionCodec.decodeTensors(b, limits: limits) }

        let kinds: [SectionKind] = [.metadata, .graph, .tensorTable] + Array(repeating: .tensorData, count: payloads.count)
        let all = structure + payloads
        var w = ByteWriter()
        Header.write(to: &w, fileSize: 0, sectionCount: all.count)
        w.zeros(all.count * SectionEntry.byteSize)
        var entries: [SectionEntry] = []
        for (s, payload) in all.enumerated() {
            let size = UInt64(payload.count)
            guard size <= limits.maxSectionSize else {
                throw .limitExceeded(field: "section[\(s)].size", value: size, limit: limits.maxSectionSize)
            }
            let checksum = payload.withUnsafeBytes { XXH64.hash($0) }
            let level = s < 3 ? options.structureLevel : options.dataLevel
            var stored = payload
            var encoding = SectionEncoding.raw
            if let level, !payload.isEmpty {
                let packed = payload.withUnsafeBytes { Zstd.compress($0, level: level) }
                if Double(packed.count) <= Double(payload.count) * (1 - options.minimumSaving) {
                    stored = packed
                    encoding = .zstd
                }
            }
            if encoding == .raw { w.pad(to: 64) }
            entries.append(SectionEntry(kind: kinds[s], encoding: encoding, offset: UInt64(w.bytes.count),
                                        storedSize: UInt64(stored.count), size: size, checksum: checksum))
            w.bytes.append(contentsOf: stored)
        }
        let fileSize = UInt64(w.bytes.count) + Trailer.byteSize
        guard fileSize <= limits.maxFileSize else {
            throw .limitExceeded(field: "header.fileSize", value: fileSize, limit: limits.maxFileSize)
        }
        // Patch the header's file size, the table and the header checksum.
        var head = ByteWriter()
        Header.write(to: &head, fileSize: fileSize, sectionCount: all.count)
        for e in entries { e.write(to: &head) }
        let headerChecksum = head.bytes.withUnsafeBytes { b in
            XXH64.hash(headerAndTable(b, sectionCount: all.count))
        }
        var sum = ByteWriter()
        sum.u64(headerChecksum)
        head.bytes.replaceSubrange(40 ..< 48, with: sum.bytes)
        w.bytes.replaceSubrange(0 ..< head.bytes.count, with: head.bytes)
        let fileChecksum = w.bytes.withUnsafeBytes { XXH64.hash($0) }
        w.u64(fileChecksum)
        w.bytes.append(contentsOf: Trailer.magic)
        let written = entries.enumerated().map { s, e in WrittenSection(entry: e, tensors: s < 3 ? [] : groups[s - 3]) }
        return (w.bytes, written)
    }

    /// Header bytes 0..<40 followed by the section table: what the header checksum covers.
    static func headerAndTable(_ bytes: UnsafeRawBufferPointer, sectionCount: Int) -> [UInt8] {
        let table = Header.byteSize ..< Header.byteSize + sectionCount * SectionEntry.byteSize
        return Array(bytes[0 ..< 40]) + Array(bytes[table])
    }

    /// Encodes `model` and writes it to `path` atomically (docs: `PosixFile.writeAtomically`).
    @discardableResult
    public static func write(_ model: PithModel, to path: String, options: WriteOptions = WriteOptions()) throws(FormatError) -> [WrittenSection] {
        let (bytes, sections) = try encode(model, options: options)
        try PosixFile.writeAtomically(bytes, to: path)
        return sections
    }
}
