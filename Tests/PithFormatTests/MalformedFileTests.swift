import XCTest
@testable import PithFormat

/// Every kind of malformed file the spec must refuse, each with a typed error.
final class MalformedFileTests: XCTestCase {
    let valid = Fixtures.rawFile()
    /// The default writer's output (zstd sections), for the truncation and bit-flip sweeps.
    let compressed = try! PithWriter.encode(Fixtures.smallModel()).bytes

    func testTheFixturesAreValid() {
        XCTAssertNil(PithFile.error(valid))
        XCTAssertNil(PithFile.error(compressed))
    }

    func testTruncationAtEveryByteIsRefused() {
        for file in [valid, compressed] {
            for n in 0 ..< file.count {
                let error = PithFile.error(Array(file[0 ..< n]))
                XCTAssertNotNil(error, "prefix of \(n) bytes accepted")
                if n == 0 { XCTAssertEqual(error, .empty) }
                // Without checksums the structural checks alone must refuse it too.
                XCTAssertNotNil(PithFile.error(Array(file[0 ..< n]), checksums: false), "prefix \(n) accepted without checksums")
            }
        }
    }

    func testEverySingleBitFlipIsRefused() {
        for file in [valid, compressed] {
            for i in 0 ..< file.count {
                for bit in 0 ..< 8 {
                    var b = file
                    b[i] ^= 1 << UInt8(bit)
                    XCTAssertNotNil(PithFile.error(b), "flip of bit \(bit) of byte \(i) accepted")
                    _ = PithFile.error(b, checksums: false)  // must not crash; may be accepted
                }
            }
        }
    }

    func testEmptyDirectoryAndForeignFiles() throws {
        XCTAssertEqual(PithFile.error([]), .empty)
        XCTAssertEqual(PithFile.error(Array("just some text, not a model\n".utf8)), .badMagic)
        XCTAssertEqual(PithFile.error([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), .badMagic)  // PNG, 8 bytes
        XCTAssertEqual(PithFile.error(Array(valid[0 ..< 8])), .truncated(field: "header"))
        XCTAssertThrowsError(try PithFile(path: NSTemporaryDirectory())) { error in
            XCTAssertEqual(error as? FormatError, .notARegularFile(path: NSTemporaryDirectory()))
        }
        XCTAssertThrowsError(try PithFile(path: "/nonexistent/model.pith")) { error in
            guard case .io = error as? FormatError else { return XCTFail("\(error)") }
        }
        let empty = NSTemporaryDirectory() + "empty-\(getpid()).pith"
        FileManager.default.createFile(atPath: empty, contents: Data())
        defer { unlink(empty) }
        XCTAssertThrowsError(try PithFile(path: empty)) { XCTAssertEqual($0 as? FormatError, .empty) }
    }

    /// Edits a copy of the raw fixture, re-seals its checksums and returns the error.
    func errorAfter(_ edit: (inout [UInt8]) -> Void) -> FormatError? {
        var b = valid
        edit(&b)
        Fixtures.reseal(&b)
        return PithFile.error(b)
    }

    func testUnknownVersionAndFlags() {
        XCTAssertEqual(errorAfter { $0[8] = 2 }, .unsupportedVersion(2))
        XCTAssertEqual(errorAfter { $0[12] = 1 }, .invalid(field: "header.flags", problem: "unknown flags 1; version 1 defines none"))
    }

    func testCountsAndSizesAtTheirMaximum() {
        guard case .limitExceeded(field: "header.sectionCount", _, _)? = errorAfter({ Fixtures.put32(&$0, 24, .max) }) else {
            return XCTFail("section count")
        }
        guard case .limitExceeded(field: "section[0].size", _, _)? = errorAfter({ Fixtures.put64(&$0, 64 + 24, .max) }) else {
            return XCTFail("section size")
        }
        // Offset + size overflows 64 bits.
        guard case .invalid(field: "section[0].offset", _)? = errorAfter({ Fixtures.put64(&$0, 64 + 8, .max - 63) }) else {
            return XCTFail("section offset overflow")
        }
        let table = Fixtures.sectionOffset(valid, kind: 3)
        let graph = Fixtures.sectionOffset(valid, kind: 2)
        let metadata = Fixtures.sectionOffset(valid, kind: 1)
        guard case .limitExceeded(field: "tensor table.count", _, _)? = errorAfter({ Fixtures.put32(&$0, table, .max) }) else {
            return XCTFail("tensor count")
        }
        // A count under the limit but with no bytes behind it: refused before reserving.
        XCTAssertEqual(errorAfter { Fixtures.put32(&$0, table, 4096) }, .truncated(field: "tensor table.count"))
        guard case .limitExceeded(field: "metadata.count", _, _)? = errorAfter({ Fixtures.put32(&$0, metadata, .max) }) else {
            return XCTFail("metadata count")
        }
        guard case .limitExceeded(field: "metadata.entry[0].key.length", _, _)? = errorAfter({ Fixtures.put32(&$0, metadata + 4, .max) }) else {
            return XCTFail("string length")
        }
        guard case .limitExceeded(field: "graph.nodeCount", _, _)? = errorAfter({ Fixtures.put32(&$0, graph + 16, .max) }) else {
            return XCTFail("node count")
        }
        guard case .limitExceeded(field: "graph.inputCount", _, _)? = errorAfter({ Fixtures.put32(&$0, graph, .max) }) else {
            return XCTFail("graph inputs")
        }
        // Tensor 0 is "x": name at table+4 (length 1), dtype +9, role +10, rank +11, dims +12.
        guard case .limitExceeded(field: "tensor 'x'.rank", _, _)? = errorAfter({ $0[table + 11] = .max }) else {
            return XCTFail("rank")
        }
        guard case .invalid(field: "tensor 'x'.dims[0]", _)? = errorAfter({ Fixtures.put32(&$0, table + 12, .max) }) else {
            return XCTFail("dimension")
        }
    }

    func testFiltersOnlyWhereTheSpecAllowsThem() {
        // conv.weight's filter byte follows its data size; the raw fixture has none set.
        let table = Fixtures.sectionOffset(valid, kind: 3)
        let model = Fixtures.smallModel()
        var at = table + 4
        at += 4 + model.tensors[0].name.utf8.count + 3 + 4 * 3 + 1 + 8
        at += 4 + model.tensors[1].name.utf8.count + 3 + 4 * 4 + 1 + 1 + 2 * 8 + 4 + 8 + 8
        XCTAssertEqual(valid[at], 0)
        guard case .invalid(field: "tensor 'conv.weight'.filter", _)? = errorAfter({ $0[at] = 9 }) else { return XCTFail("unknown filter") }
        guard case .invalid(field: "tensor 'conv.weight'.filter", _)? = errorAfter({ $0[at] = 1 }) else { return XCTFail("filter in a raw section") }
    }

    func testUnknownDTypeAndOp() {
        let table = Fixtures.sectionOffset(valid, kind: 3)
        XCTAssertEqual(errorAfter { $0[table + 9] = 99 }, .unknownDType(tensor: "x", code: 99))
        let graph = Fixtures.sectionOffset(valid, kind: 2)
        XCTAssertEqual(errorAfter { $0[graph + 20] = 0xEE; $0[graph + 21] = 0x7E }, .unknownOp(node: "conv", code: 0x7EEE))
    }

    func testOverlappingOutOfFileAndMisalignedSections() {
        let first = 64, second = 64 + 64
        // Section 1 starts where section 0 does.
        guard case .overlap? = errorAfter({ Fixtures.put64(&$0, second + 8, Fixtures.u64($0, first + 8)) }) else {
            return XCTFail("overlap")
        }
        // A section over the header.
        guard case .overlap? = errorAfter({ Fixtures.put64(&$0, first + 8, 0) }) else { return XCTFail("over the header") }
        // Past the end of the file.
        guard case .invalid(field: "section[0].offset", _)? = errorAfter({ Fixtures.put64(&$0, first + 8, UInt64($0.count)) }) else {
            return XCTFail("out of file")
        }
        // A raw section off the 64-byte grid.
        XCTAssertEqual(errorAfter { Fixtures.put64(&$0, first + 8, Fixtures.u64($0, first + 8) + 1) },
                       .misaligned(field: "section[0].offset", value: Fixtures.u64(valid, first + 8) + 1))
        // A tensor's data off the grid inside its section.
        let table = Fixtures.sectionOffset(valid, kind: 3)
        let model = Fixtures.smallModel()
        var at = table + 4
        // Skip to conv.weight (tensor 1): its data offset field is the 8 bytes after the section index.
        at += 4 + model.tensors[0].name.utf8.count + 3 + 4 * 3 + 1 + 8  // "x": a value, perTensor scale+zero point
        at += 4 + model.tensors[1].name.utf8.count + 3 + 4 * 4 + 1 + 1 + 2 * 8 + 4
        XCTAssertEqual(errorAfter { Fixtures.put64(&$0, at, 1) }, .misaligned(field: "tensor 'conv.weight'.dataOffset", value: 1))
    }

    func testDecompressionBombIsStoppedAtTheDeclaredSize() throws {
        // 64 MiB of zeros compress to a few KiB; a section declaring 4 KiB must not grow past it.
        let bomb = [UInt8](repeating: 0, count: 64 << 20).withUnsafeBytes { Zstd.compress($0, level: 3) }
        XCTAssertLessThan(bomb.count, 1 << 16)
        let small = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 64)
        defer { small.deallocate() }
        try bomb.withUnsafeBytes { src in
            XCTAssertThrowsError(try Zstd.decompress(src, into: small, field: "s")) { error in
                guard case .decompression = error as? FormatError else { return XCTFail("\(error)") }
            }
        }
        // A frame that hides its size is refused, whatever it would decode to.
        let hidden = Fixtures.frameWithoutContentSize([UInt8](repeating: 7, count: 1 << 20))
        try hidden.withUnsafeBytes { src in
            XCTAssertThrowsError(try Zstd.decompress(src, into: small, field: "s")) { error in
                XCTAssertEqual(error as? FormatError, .decompression(field: "s", problem: "the frame does not declare its content size"))
            }
        }
        // And in a whole file: the data section's zstd frame is swapped for the bomb.
        var options = WriteOptions()
        options.layout = .single
        options.minimumSaving = 0
        var file = try PithWriter.encode(Fixtures.smallModel(), options: options).bytes
        let entry = 64 + 64 * 3
        let offset = Int(Fixtures.u64(file, entry + 8)), stored = Int(Fixtures.u64(file, entry + 16))
        XCTAssertEqual(Fixtures.u32(file, entry + 4), 1)
        file.replaceSubrange(offset ..< offset + stored, with: bomb)
        Fixtures.put64(&file, 16, UInt64(file.count))
        Fixtures.put64(&file, entry + 16, UInt64(bomb.count))
        Fixtures.reseal(&file)
        guard case .decompression? = PithFile.error(file) else { return XCTFail("bomb accepted") }
    }

    func testGraphWiringErrors() throws {
        func graphError(_ edit: (inout PithModel) -> Void) -> FormatError? {
            var m = Fixtures.smallModel()
            edit(&m)
            do { _ = try PithWriter.encode(m) } catch { return error }
            return nil
        }
        guard case .badGraph(node: "conv", _)? = graphError({ $0.graph.nodes[0].inputs[0] = 1000 }) else { return XCTFail("range") }
        guard case .badGraph(node: "pool", _)? = graphError({ $0.graph.nodes[1].outputs = [$0.graph.nodes[0].outputs[0]] }) else {
            return XCTFail("made twice")
        }
        // A cycle: conv reads what softmax makes.
        guard case .badGraph(node: "conv", _)? = graphError({ $0.graph.nodes[0].inputs[0] = $0.graph.outputs[0] }) else {
            return XCTFail("cycle")
        }
        guard case .badGraph(node: "conv", _)? = graphError({ $0.graph.nodes[0].attributes.removeAll() }) else {
            return XCTFail("missing attribute")
        }
        guard case .badGraph(node: "pool", _)? = graphError({ $0.graph.nodes[1].attributes[0].value = 0 }) else {
            return XCTFail("attribute range")
        }
        guard case .invalid? = graphError({ $0.tensors[2].name = "conv.weight" }) else { return XCTFail("duplicate name") }
        // Two constants sharing bytes (the writer never lays them out so; a file could).
        var t = Fixtures.smallModel().tensors
        t[1].location = DataLocation(section: 3, offset: 0, size: 18)
        t[2].location = DataLocation(section: 3, offset: 0, size: 8)
        t[6].location = DataLocation(section: 3, offset: 64, size: 24)
        t[7].location = DataLocation(section: 3, offset: 128, size: 12)
        XCTAssertThrowsError(try Validation.checkTensors(t, sectionSizes: [nil, nil, nil, 256])) { error in
            XCTAssertEqual(error as? FormatError, .overlap(first: "tensor 'conv.weight'", second: "tensor 'conv.bias'"))
        }
    }
}
