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
        c.distillation = distillation
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
            XCTAssertEqual(read.config.distillation, config, name)
        }
        XCTAssertNil(try Checkpoint(bytes: try checkpoint(nil).encoded(), path: "x.ckpt").config.distillation)
    }
}
