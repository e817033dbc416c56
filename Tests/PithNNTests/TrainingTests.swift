import Foundation
import PithNN
import PithTensor
import XCTest

final class TrainingTests: XCTestCase {
    func config(_ d: ModelDescription, epochs: Int, seed: UInt64 = 5, lr: Float = 3e-3) -> TrainingConfig {
        TrainingConfig(modelText: d.text, data: "digits", seed: seed, epochs: epochs, batchSize: 32,
                       optimizer: OptimizerConfig(kind: .adam), schedule: Schedule(kind: .constant, baseLR: lr))
    }

    func testTrainingLearnsDigits() throws {
        let d = try tinyDigitsModel(), splits = try smallDigits()
        let trainer = try Trainer(config: config(d, epochs: 12), description: d, splits: splits)
        let history = try trainer.run(checkpointPath: nil)
        XCTAssertLessThan(history.last!.trainLoss, history.first!.trainLoss)
        XCTAssertGreaterThan(Evaluation(model: trainer.model, data: splits.test).accuracy, 0.8)
    }

    /// Every update rule, batch size and loss reduces the training loss on digits:
    /// full-batch gradient descent, per-sample SGD, momentum, Adam, AdamW; cross-entropy, MSE, BCE.
    func testEveryOptimizerAndLossLearns() throws {
        let d = try tinyDigitsModel(), splits = try smallDigits()
        let cases: [(OptimizerConfig.Kind, Int, Float, Loss, Int)] = [
            (.sgd, 0, 0.5, .crossEntropy, 40), (.sgd, 1, 0.01, .crossEntropy, 3), (.momentum, 32, 0.05, .crossEntropy, 3),
            (.adam, 32, 3e-3, .mse, 3), (.adamw, 32, 1e-2, .binaryCrossEntropy, 10),
        ]
        for (kind, batch, lr, loss, epochs) in cases {
            var c = config(d, epochs: epochs, lr: lr)
            c.optimizer = OptimizerConfig(kind: kind, weightDecay: 1e-4)
            c.batchSize = batch
            c.loss = loss
            let t = try Trainer(config: c, description: d, splits: splits)
            let history = try t.run(checkpointPath: nil)
            XCTAssertLessThan(history.last!.trainLoss, history.first!.trainLoss, "\(kind) batch \(batch) \(loss)")
            XCTAssertGreaterThan(history.last!.validationAccuracy, 0.5, "\(kind) batch \(batch) \(loss)")
        }
    }

    func testSeededRunsAreIdentical() throws {
        let d = try tinyDigitsModel(), splits = try smallDigits()
        func weights(seed: UInt64) throws -> [[Float]] {
            let t = try Trainer(config: config(d, epochs: 2, seed: seed), description: d, splits: splits)
            try t.run(checkpointPath: nil)
            return t.model.parameters.map(\.scalars)
        }
        XCTAssertEqual(try weights(seed: 9), try weights(seed: 9))
        XCTAssertNotEqual(try weights(seed: 9), try weights(seed: 10))
    }

    func testResumeEndsWhereAnUninterruptedRunEnds() throws {
        let d = try tinyDigitsModel(), splits = try smallDigits(), folder = temporaryFolder()
        let straight = try Trainer(config: config(d, epochs: 4), description: d, splits: splits)
        try straight.run(checkpointPath: folder + "/a.ckpt")

        let first = try Trainer(config: config(d, epochs: 4), description: d, splits: splits)
        try first.run(checkpointPath: folder + "/b.ckpt", stopAfter: 2)
        XCTAssertEqual(first.epochsDone, 2)
        let resumed = try Trainer(resuming: Checkpoint(path: folder + "/b.ckpt"), path: folder + "/b.ckpt", splits: splits)
        XCTAssertEqual(resumed.epochsDone, 2)
        try resumed.run(checkpointPath: folder + "/b.ckpt")
        XCTAssertEqual(resumed.model.parameters.map(\.scalars), straight.model.parameters.map(\.scalars))
        XCTAssertEqual(resumed.history.map(\.trainLoss), straight.history.map(\.trainLoss))
    }

    func testCheckpointRoundTripAndCorruption() throws {
        let d = try tinyDigitsModel(), splits = try smallDigits(), folder = temporaryFolder()
        let t = try Trainer(config: config(d, epochs: 1), description: d, splits: splits)
        try t.run(checkpointPath: folder + "/c.ckpt")
        let loaded = try Checkpoint(path: folder + "/c.ckpt")
        XCTAssertEqual(try loaded.model(path: "c").parameters.map(\.scalars), t.model.parameters.map(\.scalars))
        XCTAssertEqual(loaded.optimizerState, t.optimizer.state)
        XCTAssertEqual(loaded.config, t.config)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["c.ckpt"], "no temporary files left")

        let bytes = [UInt8](FileManager.default.contents(atPath: folder + "/c.ckpt")!)
        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x10
        writeBytes(flipped, folder + "/flipped.ckpt")
        XCTAssertThrowsError(try Checkpoint(path: folder + "/flipped.ckpt")) { XCTAssert("\($0)".contains("checksum mismatch"), "\($0)") }
        writeBytes(Array(bytes.prefix(100)), folder + "/short.ckpt")
        XCTAssertThrowsError(try Checkpoint(path: folder + "/short.ckpt")) { XCTAssert("\($0)".contains("short.ckpt: "), "\($0)") }
        writeBytes(Array("not a checkpoint at all, just some text....".utf8), folder + "/text.ckpt")
        XCTAssertThrowsError(try Checkpoint(path: folder + "/text.ckpt")) { XCTAssert("\($0)".contains("not a Pith checkpoint"), "\($0)") }
    }

    func testNonFiniteLossStopsAndKeepsTheLastGoodCheckpoint() throws {
        let d = try tinyDigitsModel(), splits = try smallDigits(), folder = temporaryFolder()
        let path = folder + "/n.ckpt"
        let t = try Trainer(config: config(d, epochs: 3), description: d, splits: splits)
        try t.run(checkpointPath: path, stopAfter: 1)
        let good = try FileManager.default.contents(atPath: path)
        t.model.parameters[0][0] = .nan  // poison: the next forward pass gives a NaN loss
        XCTAssertThrowsError(try t.run(checkpointPath: path)) { error in
            XCTAssertEqual(error as? PithError, .nonFiniteLoss(epoch: 2, batch: 1, keptCheckpoint: path))
            XCTAssert("\(error)".contains("the last good checkpoint is kept at \(path)"))
        }
        XCTAssertEqual(try FileManager.default.contents(atPath: path), good)
        XCTAssertEqual(try Checkpoint(path: path).epochsDone, 1)
    }

    func testUnwritableOutputLeavesNothing() throws {
        let folder = temporaryFolder()
        XCTAssertThrowsError(try AtomicFile.write([1, 2, 3], to: folder + "/missing/x.ckpt")) { error in
            XCTAssert("\(error)".hasPrefix(folder + "/missing/x.ckpt: cannot write: "), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }

    func testModelAndDataThatDoNotFit() throws {
        let d = try ModelDescription(parsing: "name wide\ninput 784\ndense 10", source: "m")
        XCTAssertThrowsError(try Trainer(config: config(d, epochs: 1), description: d, splits: try smallDigits())) { error in
            XCTAssert("\(error)".contains("model 'wide' takes input [784] (784 values) but data 'digits-train' has samples of [1, 8, 8] (64 values)"), "\(error)")
        }
    }
}
