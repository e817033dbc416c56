import PithDistill
import PithFormat
import PithNN
import XCTest

/// The distillation configuration in a checkpoint: the JSON it is written as, byte for
/// byte what checkpoints held when the configuration lived in PithNN, and read back whole.
final class DistillationRecordTests: XCTestCase {
    func checkpoint(_ distillation: DistillationConfig?) throws -> Checkpoint {
        let d = try ModelDescription(parsing: "name record\ninput 1 8 8\nflatten\ndense 16\nrelu\ndense 10\n", source: "record")
        var c = TrainingConfig(modelText: d.text, data: "digits", seed: 7, epochs: 3, batchSize: 32,
                               optimizer: OptimizerConfig(kind: .adam), schedule: Schedule(kind: .constant, baseLR: 3e-3))
        c.distillation = distillation?.record
        let model = Model(d, seed: 5)
        return Checkpoint(config: c, model: model, optimizer: Optimizer(c.optimizer, parameters: model.parameters), epochsDone: 0, history: [])
    }

    static let configs: [(String, DistillationConfig)] = [
        ("plain", DistillationConfig(teachers: ["a.ckpt"], teacherHashes: ["0123456789abcdef"], temperature: 20, alpha: 0.9)),
        ("ensemble, hint", DistillationConfig(teachers: ["a.ckpt", "b/c.ckpt"], teacherHashes: ["1", "2"], temperature: 3.7, alpha: 0.35,
                                              cacheLogits: true, hint: HintConfig(student: 2, teacher: 3, weight: 0.1))),
    ]

    /// The header JSON of a checkpoint whose run distils, as JSON text.
    func header(_ bytes: [UInt8]) -> String {
        var length = 0
        for i in 0..<8 { length |= Int(bytes[12 + i]) << (8 * i) }
        return String(decoding: bytes[20..<(20 + length)], as: UTF8.self)
    }

    func testCheckpointsHoldTheSameBytes() throws {
        var got: [String: String] = [:]
        for (name, config) in Self.configs {
            let bytes = try checkpoint(config).encoded()
            got[name] = String(XXH64.hash(bytes), radix: 16)
        }
        got["none"] = String(XXH64.hash(try checkpoint(nil).encoded()), radix: 16)
        XCTAssertEqual(got, ["plain": "5b2e9ae7ffd10a92", "ensemble, hint": "96712104509ba40a", "none": "7dd44f85502441be"])
        // What those bytes say, for a reader of this test.
        XCTAssert(header(try checkpoint(Self.configs[1].1).encoded()).contains(
            #""distillation":{"alpha":0.35,"cacheLogits":true,"hint":{"student":2,"teacher":3,"weight":0.1},"teacherHashes":["1","2"],"teachers":["a.ckpt","b\/c.ckpt"],"temperature":3.7}"#))
    }

    func testCheckpointsGiveTheConfigurationBack() throws {
        for (name, config) in Self.configs {
            let read = try Checkpoint(bytes: try checkpoint(config).encoded(), path: "x.ckpt")
            XCTAssertEqual(try DistillationConfig.recorded(in: read.config, path: "x.ckpt"), config, name)
        }
        XCTAssertNil(try DistillationConfig.recorded(in: try Checkpoint(bytes: try checkpoint(nil).encoded(), path: "x.ckpt").config, path: "x.ckpt"))
    }

    /// The checkpoint keeps the record unread; reading it back checks it as the checkpoint
    /// once checked it, one line naming the field.
    func testRecordsOutOfRangeAreRefusedNamingTheField() throws {
        let base = Self.configs[0].1
        func with(_ edit: (inout DistillationConfig) -> Void) -> JSONValue {
            var d = base
            edit(&d)
            return d.record
        }
        guard case var .object(missing) = base.record else { return XCTFail("a record is an object") }
        missing["alpha"] = nil
        var wrongType = missing
        wrongType["alpha"] = .string("high")
        let cases: [(JSONValue, String)] = [
            (with { $0.teachers = []; $0.teacherHashes = [] }, "header field 'config.distillation.teachers' is empty"),
            (with { $0.teacherHashes = [] }, "header field 'config.distillation.teacherHashes' holds 0 hashes for 1 teachers"),
            (with { $0.temperature = 0 }, "header field 'config.distillation.temperature' is 0.0, not in \(Float.leastNonzeroMagnitude)...\(Float.greatestFiniteMagnitude)"),
            (with { $0.alpha = 1.5 }, "header field 'config.distillation.alpha' is 1.5, not in 0.0...1.0"),
            (.object(missing), "header field 'config.distillation.alpha' is missing"),
            (.object(wrongType), "header field 'config.distillation.alpha' has the wrong type (expected Float)"),
            (.array([]), "header field 'config.distillation' has the wrong type"),
        ]
        for (record, expected) in cases {
            var c = try checkpoint(nil)
            c.config.distillation = record
            let read = try Checkpoint(bytes: c.encoded(), path: "x.ckpt")
            XCTAssertThrowsError(try DistillationConfig.recorded(in: read.config, path: "x.ckpt")) { error in
                XCTAssert("\(error)".hasPrefix("x.ckpt: " + expected), "\(error)")
            }
        }
    }
}
