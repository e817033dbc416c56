import XCTest
@testable import PithFormat

/// The fuzzer's seed corpus (tools/fuzz/corpus) is the fixture written four ways. This
/// test keeps it current: it fails when a seed no longer matches what the writer makes,
/// and `PITH_UPDATE_SEEDS=1 swift test --filter SeedCorpusTests` rewrites the seeds.
final class SeedCorpusTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/fuzz/corpus/pith-reader")

    static func seeds() throws -> [(name: String, bytes: [UInt8])] {
        let model = Fixtures.smallModel()
        var perTensor = WriteOptions()
        perTensor.layout = .perTensor
        perTensor.dataLevel = 1
        perTensor.minimumSaving = 0
        return [
            ("fixture-raw.pith", try PithWriter.encode(model, options: Fixtures.rawOptions).bytes),
            ("fixture-default.pith", try PithWriter.encode(model).bytes),
            ("fixture-per-tensor-zstd.pith", try PithWriter.encode(model, options: perTensor).bytes),
            ("fixture-filtered.pith", try PithWriter.encode(Fixtures.filteredModel().model).bytes),
        ]
    }

    func testSeedsAreCurrentAndValid() throws {
        for (name, bytes) in try Self.seeds() {
            let url = Self.corpus.appendingPathComponent(name)
            if ProcessInfo.processInfo.environment["PITH_UPDATE_SEEDS"] == "1" {
                try Data(bytes).write(to: url)
            }
            let stored = try [UInt8](Data(contentsOf: url))
            XCTAssertEqual(stored, bytes, "\(name) is stale: PITH_UPDATE_SEEDS=1 swift test --filter SeedCorpusTests")
            XCTAssertNil(PithFile.error(stored))
            XCTAssertLessThan(stored.count, 16384, "the fuzzer's -max_len")
        }
    }
}
