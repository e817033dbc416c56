import XCTest
@testable import PithFormat

final class RoundTripTests: XCTestCase {
    func testEveryLayoutAndEncodingRoundTrips() throws {
        let model = Fixtures.smallModel()
        for layout in WriteOptions.Layout.allCases {
            for level: Int32? in [nil, 1, 19] {
                var options = WriteOptions()
                options.layout = layout
                options.dataLevel = level
                options.structureLevel = level
                options.minimumSaving = 0  // keep zstd even where it does not pay, to test it
                let (bytes, sections) = try PithWriter.encode(model, options: options)
                let file = try PithFile(bytes: bytes)
                var expected = model
                expected.tensors = try file.model().tensors  // locations are the writer's choice
                XCTAssertEqual(file.model(), expected, "\(layout) level \(level.map(String.init) ?? "raw")")
                XCTAssertEqual(file.sections.count, sections.count)
                XCTAssertTrue(file.sectionChecksumsOK.allSatisfy { $0 })
                for (i, t) in file.tensors.enumerated() where t.role == .constant {
                    XCTAssertEqual(Int(bitPattern: file.data(of: i).baseAddress) % 64, 0, "\(t.name) is not 64-byte aligned")
                }
            }
        }
    }

    func testRowDeltaFilterIsChosenWhereItPaysAndUndoneOnRead() throws {
        // A constant whose rows are smooth ramps with a little noise: the row delta has a
        // narrow histogram where the plain bytes have a wide one.
        let (model, w) = Fixtures.filteredModel(rows: 64, columns: 256)
        var rng = PithTestRandom(seed: 8)
        let file = try PithFile(bytes: try PithWriter.encode(model).bytes)
        XCTAssertEqual(file.tensors[w].location?.filter, .rowDelta)
        XCTAssertEqual(Array(file.data(of: w)), model.data[w])
        // Stored raw, the same tensor is never filtered (raw data is used in place).
        let raw = try PithFile(bytes: try PithWriter.encode(model, options: Fixtures.rawOptions).bytes)
        XCTAssertEqual(raw.tensors[w].location?.filter, DataFilter.none)
        // Random bytes do not get a filter.
        let noise = (0 ..< 4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        XCTAssertEqual(Filters.choose(noise, dtype: .int8, rows: 16), DataFilter.none)
        var bytes = noise
        bytes.withUnsafeMutableBytes { Filters.apply(.rowDelta, $0, rows: 16) }
        bytes.withUnsafeMutableBytes { Filters.undo(.rowDelta, $0, rows: 16) }
        XCTAssertEqual(bytes, noise)
    }

    func testWritingIsDeterministic() throws {
        let a = try PithWriter.encode(Fixtures.smallModel()).bytes
        let b = try PithWriter.encode(Fixtures.smallModel()).bytes
        XCTAssertEqual(a, b)
    }

    func testFileOnDiskIsMappedAndRawSectionsAreUsedInPlace() throws {
        let path = NSTemporaryDirectory() + "roundtrip-\(getpid()).pith"
        defer { unlink(path) }
        var options = WriteOptions()
        options.dataLevel = nil
        try PithWriter.write(Fixtures.smallModel(), to: path, options: options)
        let file = try PithFile(path: path)
        XCTAssertEqual(file.metadata.string("model.name"), "fixture")
        XCTAssertEqual(file.metadata.strings("model.labels"), ["zero", "one", "two"])
        XCTAssertEqual(file.metadata["custom.count"], .int(-7))
        let w = try XCTUnwrap(file.tensors.firstIndex { $0.name == "dense.weight" })
        XCTAssertEqual(Array(file.data(of: w)), Fixtures.smallModel().data[w])
        XCTAssertEqual(file.sections[file.tensors[w].location!.section].encoding, .raw)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp-\(getpid())"))
    }

    func testWriterRefusesAModelTheReaderWouldRefuse() {
        var m = Fixtures.smallModel()
        m.graph.nodes.swapAt(0, 1)  // pool reads conv.out before conv makes it
        XCTAssertThrowsError(try PithWriter.encode(m)) { error in
            guard case .badGraph = error as? FormatError else { return XCTFail("\(error)") }
        }
        var n = Fixtures.smallModel()
        n.data[1].removeLast()
        XCTAssertThrowsError(try PithWriter.encode(n))
    }

    func testWriteToAnUnwritablePlaceLeavesNothing() {
        let path = "/proc/pith-cannot-write-here.pith"
        XCTAssertThrowsError(try PithWriter.write(Fixtures.smallModel(), to: path)) { error in
            guard case .io = error as? FormatError else { return XCTFail("\(error)") }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }
}

/// splitmix64: a small seeded generator for test data.
struct PithTestRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
