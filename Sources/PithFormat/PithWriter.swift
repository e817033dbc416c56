// The writer needs libzstd and POSIX files: not part of a bare-metal build (tools/embedded-check).
#if canImport(CZstd) && canImport(CPosix)
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
        /// One section per 8-bit tensor (each its own zstd frame and checksum), and one
        /// for all wider tensors (biases, float tables).
        case weightsApart = "weights-apart"
    }

    public var layout: Layout = .weightsApart
    /// zstd level for tensor data, or nil to store it raw (usable in place).
    public var dataLevel: Int32? = 3
    /// zstd level for metadata, graph and tensor table, or nil for raw.
    public var structureLevel: Int32? = 3
    /// A compressed section is stored raw instead unless zstd saves at least this share
    /// of its bytes: raw sections are used in place from the memory map.
    public var minimumSaving: Double = 0.02
    /// Store 8-bit tensors row-delta filtered where that lowers their order-0 entropy by
    /// at least 1% (only in zstd sections).
    public var filters = true

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
        try encode(model, options: options, limits: limits, validate: true)
    }

    /// `validate: false` skips the cross-section checks (Validation) and writes a
    /// well-formed, checksummed file whose graph or tensor table may be wrong: what tests
    /// and the structure-aware fuzzer hand to the reader, which must refuse it.
    static func encode(_ model: PithModel, options: WriteOptions = WriteOptions(), limits: Limits = .spec,
                       validate: Bool) throws(FormatError) -> (bytes: [UInt8], sections: [WrittenSection]) {
        try Encodability.check(model, limits: limits)
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
            case .weightsApart: key = t.dtype.size == 1 ? i : -1
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
                let t = tensors[i]
                let filter = options.filters && options.dataLevel != nil
                    ? Filters.choose(model.data[i], dtype: t.dtype, rows: t.shape.first ?? 1) : .none
                tensors[i].location = DataLocation(section: 3 + g, offset: w.bytes.count, size: model.data[i].count, filter: filter)
                w.bytes.append(contentsOf: model.data[i])
            }
            payloads.append(w.bytes)
        }
        // Tensor data first, since a section stored raw must hold unfiltered bytes.
        var stored: [(bytes: [UInt8], encoding: SectionEncoding, size: UInt64, checksum: UInt64)] = []
        for (g, members) in groups.enumerated() {
            var payload = payloads[g]
            for i in members {
                guard let loc = tensors[i].location, loc.filter != .none else { continue }
                payload.withUnsafeMutableBytes { b in
                    Filters.apply(loc.filter, UnsafeMutableRawBufferPointer(rebasing: b[loc.offset ..< loc.offset + loc.size]), rows: tensors[i].shape[0])
                }
            }
            var section = try encodeSection(payload, index: 3 + g, level: options.dataLevel, options: options, limits: limits)
            if section.encoding == .raw && members.contains(where: { tensors[$0].location?.filter != DataFilter.none }) {
                for i in members { tensors[i].location?.filter = .none }
                section = try encodeSection(payloads[g], index: 3 + g, level: nil, options: options, limits: limits)
            }
            stored.append(section)
        }
        let placeholder = SectionEntry(kind: .metadata, encoding: .raw, offset: 0, storedSize: 0, size: 0, checksum: 0)
        let dataEntries = stored.map { SectionEntry(kind: .tensorData, encoding: $0.encoding, offset: 0, storedSize: 0, size: $0.size, checksum: 0) }
        if validate { try Validation.check(tensors: tensors, graph: model.graph, sections: [placeholder, placeholder, placeholder] + dataEntries) }
        let structure = [SectionCodec.encode(model.metadata), SectionCodec.encode(model.graph), SectionCodec.encode(tensors)]
        // Check the structured sections with the reader's decoders too (string lengths, counts).
        _ = try withBytes(structure[0]) { (b) throws(FormatError) in try SectionCodec.decodeMetadata(b, limits: limits) }
        _ = try withBytes(structure[1]) { (b) throws(FormatError) in try SectionCodec.decodeGraph(b, limits: limits) }
        _ = try withBytes(structure[2]) { (b) throws(FormatError) in try SectionCodec.decodeTensors(b, limits: limits) }
        var all: [(bytes: [UInt8], encoding: SectionEncoding, size: UInt64, checksum: UInt64)] = []
        for (s, payload) in structure.enumerated() {
            all.append(try encodeSection(payload, index: s, level: options.structureLevel, options: options, limits: limits))
        }
        all += stored

        let kinds: [SectionKind] = [.metadata, .graph, .tensorTable] + Array(repeating: .tensorData, count: payloads.count)
        var w = ByteWriter()
        Header.write(to: &w, fileSize: 0, sectionCount: all.count)
        w.zeros(all.count * SectionEntry.byteSize)
        var entries: [SectionEntry] = []
        for (s, section) in all.enumerated() {
            if section.encoding == .raw { w.pad(to: 64) }
            entries.append(SectionEntry(kind: kinds[s], encoding: section.encoding, offset: UInt64(w.bytes.count),
                                        storedSize: UInt64(section.bytes.count), size: section.size, checksum: section.checksum))
            w.bytes.append(contentsOf: section.bytes)
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
            XXH64.hash(Header.checksummed(b, sectionCount: all.count))
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

    /// A section's stored bytes: zstd at `level` when that saves `minimumSaving`, else raw.
    static func encodeSection(_ payload: [UInt8], index: Int, level: Int32?, options: WriteOptions,
                              limits: Limits) throws(FormatError) -> (bytes: [UInt8], encoding: SectionEncoding, size: UInt64, checksum: UInt64) {
        let size = UInt64(payload.count)
        guard size <= limits.maxSectionSize else {
            throw .limitExceeded(field: "section[\(index)].size", value: size, limit: limits.maxSectionSize)
        }
        let checksum = payload.withUnsafeBytes { XXH64.hash($0) }
        if let level, !payload.isEmpty {
            let packed = payload.withUnsafeBytes { Zstd.compress($0, level: level) }
            if Double(packed.count) <= Double(payload.count) * (1 - options.minimumSaving) {
                return (packed, .zstd, size, checksum)
            }
        }
        return (payload, .raw, size, checksum)
    }

    /// Encodes `model` and writes it to `path` atomically (docs: `PosixFile.writeAtomically`).
    @discardableResult
    public static func write(_ model: PithModel, to path: String, options: WriteOptions = WriteOptions()) throws(FormatError) -> [WrittenSection] {
        let (bytes, sections) = try encode(model, options: options)
        try PosixFile.writeAtomically(bytes, to: path)
        return sections
    }
}
#endif
