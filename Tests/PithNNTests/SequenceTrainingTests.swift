#if os(Linux)
import CMalloc
#endif
import PithNN
import PithTensor
import XCTest

/// The sequence layers inside models: they learn, and a training step leaves the heap as
/// it found it.
final class SequenceTrainingTests: XCTestCase {
    /// The 8x8 digits read as 8 rows of 8 values.
    let sequenceModels = [
        "name r\ninput 8 8\nlstm 24\ndense 10\n",
        "name s\ninput 8 8\nlstm 16 sequence\nlstm 16\ndense 10\n",
        "name a\ninput 8 8\ndense 16\nposition\ntransformer-block heads 2 ff 32\nmean-tokens\nlayernorm\ndense 10\n",
    ]

    /// `steps` Adam steps on batches of 50 from `train`.
    func train(_ model: Model, _ data: Dataset, steps: Int, optimizer: Optimizer) {
        var rng = PithRandom(seed: 3)
        for s in 0..<steps {
            let start = (s * 50) % (data.count - 50)
            let (x, labels) = data.batch(Array(start..<start + 50)[...])
            let loss = crossEntropy(logits: model.forward(x, training: true, rng: &rng), labels: labels)
            loss.backward()
            optimizer.update(model.parameters, lr: 3e-3)
        }
    }

    func accuracy(_ model: Model, _ data: Dataset) -> Double {
        let (x, labels) = data.batch(Array(0..<data.count)[...])
        let logits = model.predict(x)
        var correct = 0
        for (i, label) in labels.enumerated() {
            let row = (0..<10).map { logits[i * 10 + $0] }
            if row.firstIndex(of: row.max()!) == Int(label) { correct += 1 }
        }
        return Double(correct) / Double(labels.count)
    }

    func testSequenceModelsLearnTheDigits() throws {
        let splits = try smallDigits()
        for text in sequenceModels {
            let model = Model(try ModelDescription(parsing: text, source: "test"), seed: 1)
            let optimizer = Optimizer(OptimizerConfig(kind: .adam), parameters: model.parameters)
            let before = accuracy(model, splits.validation)
            train(model, splits.train, steps: 300, optimizer: optimizer)
            let after = accuracy(model, splits.validation)
            XCTAssertGreaterThan(after, 0.75, "\(text): \(before) → \(after)")
            XCTAssertGreaterThan(after, before + 0.3, text)
        }
    }

    #if os(Linux)
    /// After a few warm-up steps, more training steps take no new memory from the system
    /// and keep nothing allocated: every buffer a step allocates is freed and reused. (A
    /// step's buffers are hundreds of kilobytes; the few hundred bytes allowed are the
    /// dispatch library's own, which come and go with its worker threads.)
    func testATrainingStepAllocatesNothingNew() throws {
        Memory.keepFreedBuffers()
        let splits = try smallDigits()
        for text in sequenceModels {
            let model = Model(try ModelDescription(parsing: text, source: "test"), seed: 1)
            let optimizer = Optimizer(OptimizerConfig(kind: .adam), parameters: model.parameters)
            train(model, splits.train, steps: 10, optimizer: optimizer)
            let before = mallinfo2()
            train(model, splits.train, steps: 40, optimizer: optimizer)
            let after = mallinfo2()
            let taken = Int(after.arena + after.hblkhd) - Int(before.arena + before.hblkhd)
            let kept = Int(after.uordblks + after.hblkhd) - Int(before.uordblks + before.hblkhd)
            XCTAssertLessThan(taken, 64 << 10, "\(text): memory taken from the system over 40 steps")
            XCTAssertLessThan(kept, 4 << 10, "\(text): bytes still allocated after 40 steps")
        }
    }
    #endif
}
