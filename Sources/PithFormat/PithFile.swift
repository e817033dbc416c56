/// Reader options. Checksums are always verified in normal use; the fuzz target turns
/// them off in a second pass so that it can reach the checks behind them.
public struct ReadOptions: Sendable {
    public var limits: Limits = .spec
    public var verifyChecksums = true
    public init() {}
}

/// A `.pith` file, opened and checked (docs/FORMAT.md). Raw sections are used in place
/// from the memory map; zstd sections are decoded once into buffers of their declared
/// size. Opening checks, in order: the header and its checksum, the trailer and the
/// whole-file checksum, every section entry against the file and the limits (overflow-
/// checked), that no two sections overlap, each section's decoded checksum, each
/// structured section field by field, and finally the tensor table and graph together.
public final class PithFile {
    public let header: Header
    public let sections: [SectionEntry]
    public let metadata: Metadata
    public let tensors: [TensorInfo]
    public let graph: Graph
    /// Whether each section's decoded bytes matched its checksum (all true once opened
    /// with checksums verified).
    public let sectionChecksumsOK: [Bool]

    private let mapping: FileMapping?
    private let owned: UnsafeMutableRawBufferPointer?
    /// Decoded bytes of each section: a view of the file (raw) or of `decoded` (zstd).
    private let views: [UnsafeRawBufferPointer]
    private let decoded: [UnsafeMutableRawBufferPointer]

    #if canImport(CPosix)
    /// Maps and checks the file at `path`.
    public convenience init(path: String, options: ReadOptions = ReadOptions()) throws(FormatError) {
        let mapping = try PosixFile.map(path, limits: options.limits)
        try self.init(bytes: mapping.bytes, mapping: mapping, owned: nil, options: options)
    }
    #endif

    /// Checks a file held in memory; the bytes are copied to 64-byte-aligned storage.
    public convenience init(bytes: UnsafeRawBufferPointer, options: ReadOptions = ReadOptions()) throws(FormatError) {
        let copy = try Self.alignedBuffer(count: bytes.count, limits: options.limits)
        copy.copyMemory(from: bytes)
        try self.init(owning: copy, options: options)
    }

    /// Checks a file held in memory and reads it where it is, without a copy: a model in a
    /// microcontroller's flash, or one the caller has loaded. The caller keeps `bytes` alive
    /// and unchanged for the life of this file and of every interpreter made from it. Any
    /// alignment will do (sections are read byte-wise; the interpreter packs its own weights).
    public convenience init(inPlace bytes: UnsafeRawBufferPointer, options: ReadOptions = ReadOptions()) throws(FormatError) {
        try self.init(bytes: bytes, mapping: nil, owned: nil, options: options)
    }

    public convenience init(bytes: [UInt8], options: ReadOptions = ReadOptions()) throws(FormatError) {
        let copy = try Self.alignedBuffer(count: bytes.count, limits: options.limits)
        bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
        try self.init(owning: copy, options: options)
    }

    /// Room for a file of `count` bytes, checked against the limits first.
    private static func alignedBuffer(count: Int, limits: Limits) throws(FormatError) -> UnsafeMutableRawBufferPointer {
        guard count > 0 else { throw .empty }
        guard UInt64(count) <= limits.maxFileSize else {
            throw .limitExceeded(field: "file size", value: UInt64(count), limit: limits.maxFileSize)
        }
        return UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
    }

    /// Takes ownership of `copy`, or frees it when the file is refused.
    private convenience init(owning copy: UnsafeMutableRawBufferPointer, options: ReadOptions) throws(FormatError) {
        do {
            try self.init(bytes: UnsafeRawBufferPointer(copy), mapping: nil, owned: copy, options: options)
        } catch {
            copy.deallocate()
            throw error
        }
    }

    deinit {
        for d in decoded { d.deallocate() }
        owned?.deallocate()
    }

    private init(bytes: UnsafeRawBufferPointer, mapping: FileMapping?, owned: UnsafeMutableRawBufferPointer?,
                 options: ReadOptions) throws(FormatError) {
        let limits = options.limits
        let fileSize = UInt64(bytes.count)
        guard fileSize > 0 else { throw .empty }
        guard fileSize >= UInt64(Header.byteSize) + Trailer.byteSize else {
            // Short files: say "not a .pith" when the magic is already wrong.
            for i in 0 ..< min(bytes.count, 8) where bytes[i] != Header.magic[i] { throw .badMagic }
            throw .truncated(field: "header")
        }
        let header = try Header.read(bytes, limits: limits)
        let tableEnd = Header.byteSize + header.sectionCount * SectionEntry.byteSize
        if options.verifyChecksums {
            let covered = Header.checksummed(bytes, sectionCount: header.sectionCount)
            guard XXH64.hash(covered) == header.checksum else { throw .checksumMismatch(field: "header.checksum") }
        }
        let trailerStart = bytes.count - Int(Trailer.byteSize)
        for i in 0 ..< 8 where bytes[trailerStart + 8 + i] != Trailer.magic[i] {
            throw .invalid(field: "trailer.magic", problem: "missing PITHEND (truncated or not a .pith file)")
        }
        if options.verifyChecksums {
            let stored = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: trailerStart, as: UInt64.self))
            guard XXH64.hash(UnsafeRawBufferPointer(rebasing: bytes[0 ..< trailerStart])) == stored else {
                throw .checksumMismatch(field: "trailer.checksum")
            }
        }

        // Section entries, one by one, then together.
        var r = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[Header.byteSize ..< tableEnd]), section: "section table")
        var sections: [SectionEntry] = []
        for s in 0 ..< header.sectionCount {
            let e = try SectionEntry.read(&r, index: s, fileSize: fileSize, limits: limits)
            guard e.offset >= UInt64(tableEnd) || e.storedSize == 0 else {
                throw .overlap(first: "section[\(s)]", second: "the header or section table")
            }
            sections.append(e)
        }
        try Self.checkKindsAndOverlaps(sections)
        var decodedTotal: UInt64 = 0
        for (s, e) in sections.enumerated() where e.encoding == .zstd {
            decodedTotal += e.size  // each ≤ 2³⁰, at most 256 of them: no overflow
            guard decodedTotal <= limits.maxDecodedTotal else {
                throw .limitExceeded(field: "section[\(s)].size (all zstd sections together)", value: decodedTotal, limit: limits.maxDecodedTotal)
            }
        }

        // Decode: raw sections are views; zstd sections get a buffer of the declared size.
        var views: [UnsafeRawBufferPointer] = []
        var decoded: [UnsafeMutableRawBufferPointer] = []
        var checksOK: [Bool] = []
        func release() { for d in decoded { d.deallocate() } }
        for (s, e) in sections.enumerated() {
            let stored = UnsafeRawBufferPointer(rebasing: bytes[Int(e.offset) ..< Int(e.offset + e.storedSize)])
            let view: UnsafeRawBufferPointer
            if e.encoding == .raw {
                view = stored
            } else {
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(e.size), alignment: 64)
                decoded.append(buffer)
                do { try Zstd.decompress(stored, into: buffer, field: "section[\(s)] (\(e.kind.name))") } catch {
                    release()
                    throw error
                }
                view = UnsafeRawBufferPointer(buffer)
            }
            let ok = XXH64.hash(view) == e.checksum
            if options.verifyChecksums && !ok {
                release()
                throw .checksumMismatch(field: "section[\(s)] (\(e.kind.name))")
            }
            checksOK.append(ok)
            views.append(view)
        }

        func section(_ kind: SectionKind) -> UnsafeRawBufferPointer {
            views[sections.firstIndex { $0.kind == kind }!]
        }
        do {
            let metadata = try SectionCodec.decodeMetadata(section(.metadata), limits: limits)
            let tensors = try SectionCodec.decodeTensors(section(.tensorTable), limits: limits)
            let graph = try SectionCodec.decodeGraph(section(.graph), limits: limits)
            try Validation.check(tensors: tensors, graph: graph, sections: sections)
            // Undo filters in the decoded buffers (the checksums covered the stored form).
            for t in tensors {
                guard let loc = t.location, loc.filter != .none else { continue }
                let base = UnsafeMutableRawPointer(mutating: views[loc.section].baseAddress!) + loc.offset
                Filters.undo(loc.filter, UnsafeMutableRawBufferPointer(start: base, count: loc.size), rows: t.shape[0])
            }
            self.metadata = metadata
            self.tensors = tensors
            self.graph = graph
        } catch {
            release()
            throw error
        }
        self.header = header
        self.sections = sections
        self.sectionChecksumsOK = checksOK
        self.mapping = mapping
        self.owned = owned
        self.views = views
        self.decoded = decoded
    }

    /// Exactly one metadata, graph and tensor-table section; no two sections share bytes.
    static func checkKindsAndOverlaps(_ sections: [SectionEntry]) throws(FormatError) {
        for kind in [SectionKind.metadata, .graph, .tensorTable] {
            let n = sections.filter { $0.kind == kind }.count
            guard n == 1 else {
                throw .invalid(field: "section table", problem: "\(n) \(kind.name) sections; the spec needs exactly one")
            }
        }
        let order = sections.indices.filter { sections[$0].storedSize > 0 }.sorted { sections[$0].offset < sections[$1].offset }
        for k in order.indices.dropFirst() {
            let a = sections[order[k - 1]], b = sections[order[k]]
            if b.offset < a.offset + a.storedSize {
                throw .overlap(first: "section[\(order[k - 1])]", second: "section[\(order[k])]")
            }
        }
    }

    /// The decoded bytes of section `index`.
    public func sectionBytes(_ index: Int) -> UnsafeRawBufferPointer { views[index] }

    /// The bytes of constant tensor `index` (empty for values). Valid while `self` lives.
    public func data(of index: Int) -> UnsafeRawBufferPointer {
        guard let loc = tensors[index].location else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(rebasing: views[loc.section][loc.offset ..< loc.offset + loc.size])
    }

    /// A copy of everything, as the writer takes it.
    public func model() -> PithModel {
        PithModel(metadata: metadata, tensors: tensors, graph: graph, data: tensors.indices.map { Array(data(of: $0)) })
    }
}
