import Foundation
import PithDistill
import PithNN
import PithTensor
import XCTest

final class DistillationTests: XCTestCase {
    static let digits: DataSplits = {
        let s = try! DataSource.digits.load()
        return DataSplits(train: s.train.slice(0..<400), validation: s.validation.slice(0..<100), test: s.test)
    }()

    func description(_ hidden: Int, name: String = "m") -> ModelDescription {
        try! ModelDescription(parsing: "name \(name)\ninput 1 8 8\nflatten\ndense \(hidden)\nrelu\ndense 10\n", source: name)
    }

    func config(_ d: ModelDescription, epochs: Int = 2, distillation: DistillationConfig? = nil) -> TrainingConfig {
        var c = TrainingConfig(modelText: d.text, data: "digits", seed: 7, epochs: epochs, batchSize: 32,
                               optimizer: OptimizerConfig(kind: .adam), schedule: Schedule(kind: .constant, baseLR: 3e-3))
        c.distillation = distillation?.record
        return c
    }

    func distillation(temperature: Float = 4, alpha: Float = 0.7, cache: Bool = false, hint: HintConfig? = nil, teachers: Int = 1) -> DistillationConfig {
        DistillationConfig(teachers: Array(repeating: "teacher.ckpt", count: teachers), teacherHashes: Array(repeating: "-", count: teachers),
                           temperature: temperature, alpha: alpha, cacheLogits: cache, hint: hint)
    }

    /// A trained teacher (a few epochs on the digits).
    lazy var teacher: Model = {
        let t = try! Trainer(config: config(description(48, name: "teacher"), epochs: 4), description: description(48, name: "teacher"), splits: Self.digits)
        try! t.run(checkpointPath: nil)
        return t.model
    }()

    /// The loss is T²·KL(p ‖ softmax(z/T)) averaged over the batch, and its gradient the
    /// closed form T·(q − p)/B, against central differences.
    func testSoftTargetLossValueAndGradient() {
        let t: Float = 3
        let z: [Float] = [1.5, -0.5, 0.25, 2, 0, -1, 0.5, 0.5, 3, -2, 1, 0]   // B = 3, C = 4
        let p: [Float] = [0.7, 0.1, 0.1, 0.1, 0.25, 0.25, 0.25, 0.25, 0, 0.5, 0.5, 0]
        let logits = Tensor(z, shape: [3, 4], requiresGrad: true)
        let loss = softTargetLoss(logits: logits, targets: p, temperature: t)
        var expected: Double = 0
        for r in 0..<3 {
            let row = (0..<4).map { Double(z[r * 4 + $0]) / Double(t) }
            let lse = log(row.map { exp($0) }.reduce(0, +))
            for j in 0..<4 where p[r * 4 + j] > 0 {
                expected += Double(p[r * 4 + j]) * (log(Double(p[r * 4 + j])) - (row[j] - lse))
            }
        }
        expected *= Double(t * t) / 3
        XCTAssertEqual(Double(loss.item), expected, accuracy: 1e-5)
        loss.backward()
        let g = logits.gradScalars!
        for i in 0..<12 {
            var plus = z, minus = z
            plus[i] += 1e-2
            minus[i] -= 1e-2
            let f = { (v: [Float]) in softTargetLoss(logits: Tensor(v, shape: [3, 4]), targets: p, temperature: t).item }
            XCTAssertEqual(g[i], (f(plus) - f(minus)) / 2e-2, accuracy: 2e-3, "∂z[\(i)]")
        }
    }

    /// α = 0 is training from the labels: the same weights, bit for bit, as `pith train`.
    func testAlphaZeroIsTrainingFromLabels() throws {
        let d = description(16)
        let plain = try Trainer(config: config(d), description: d, splits: Self.digits)
        try plain.run(checkpointPath: nil)
        let objective = try DistillationObjective(student: d, teachers: [teacher], config: distillation(alpha: 0), seed: 7)
        let distilled = try Trainer(config: config(d, distillation: distillation(alpha: 0)), description: d, splits: Self.digits, objective: objective)
        try distilled.run(checkpointPath: nil)
        XCTAssertEqual(plain.model.parameters.map(\.scalars), distilled.model.parameters.map(\.scalars))
    }

    /// Soft targets cached once per sample give the run that teachers run per batch give,
    /// up to float rounding (BLAS sums a batch of 500 and one of 32 in different orders);
    /// distillation (α > 0) gives a different run from α = 0.
    func testCachedSoftTargetsEqualTeachersRunPerBatch() throws {
        let d = description(16)
        func run(cache: Bool, alpha: Float = 0.7) throws -> [[Float]] {
            let objective = try DistillationObjective(student: d, teachers: [teacher], config: distillation(alpha: alpha, cache: cache), seed: 7)
            if cache { objective.teachers.cacheSoftTargets(Self.digits.train, shape: d.inputShape) }
            let t = try Trainer(config: config(d, distillation: distillation(alpha: alpha, cache: cache)), description: d, splits: Self.digits, objective: objective)
            try t.run(checkpointPath: nil)
            return t.model.parameters.map(\.scalars)
        }
        func largestDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
            zip(a, b).map { zip($0, $1).map { abs($0 - $1) }.max()! }.max()!
        }
        let perBatch = try run(cache: false)
        XCTAssertLessThan(largestDifference(perBatch, try run(cache: true)), 1e-4)
        XCTAssertGreaterThan(largestDifference(perBatch, try run(cache: false, alpha: 0)), 1e-2)
    }

    /// An ensemble's soft targets are the mean of its members' softmax(z/T).
    func testEnsembleAveragesSoftTargets() throws {
        let other = Model(description(48, name: "teacher"), seed: 99)
        let x = Self.digits.test.batch(Array(0..<5)[...]).x
        let ensemble = Teachers([teacher, other], temperature: 5).softTargets(x)
        let a = softmaxRows(teacher.predict(x), temperature: 5), b = softmaxRows(other.predict(x), temperature: 5)
        for i in a.indices { XCTAssertEqual(ensemble[i], (a[i] + b[i]) / 2, accuracy: 1e-7) }
        for r in 0..<5 { XCTAssertEqual(ensemble[(r * 10)..<(r * 10 + 10)].reduce(0, +), 1, accuracy: 1e-5) }
    }

    /// A FitNets hint on CNNs: the regressor is a 1×1 convolution onto the teacher's
    /// channels; it trains with the student, travels in the checkpoint, and a resumed run
    /// ends where an uninterrupted one ends.
    func testHintTrainsAndResumes() throws {
        let student = try ModelDescription(parsing: "name cs\ninput 1 8 8\nconv 4 3x3 pad 1\nrelu\nmaxpool 2\nflatten\ndense 10\n", source: "cs")
        let teacherDescription = try ModelDescription(parsing: "name ct\ninput 1 8 8\nconv 12 3x3 pad 1\nrelu\nmaxpool 2\nflatten\ndense 10\n", source: "ct")
        let t = try Trainer(config: config(teacherDescription, epochs: 2), description: teacherDescription, splits: Self.digits)
        try t.run(checkpointPath: nil)
        let hint = HintConfig(student: 3, teacher: 3, weight: 0.5)
        XCTAssertThrowsError(try DistillationObjective(student: student, teachers: [t.model], config: distillation(hint: HintConfig(student: 2, teacher: 3, weight: 1)), seed: 1)) {
            XCTAssert("\($0)".contains("name layer 3 instead"), "\($0)")
        }
        func objective() throws -> DistillationObjective {
            try DistillationObjective(student: student, teachers: [t.model], config: distillation(hint: hint), seed: 7)
        }
        let o = try objective()
        XCTAssertEqual(o.auxiliaryParameters.map(\.shape), [[12, 4, 1, 1], [12]])
        let before = o.auxiliaryParameters[0].scalars
        let folder = NSTemporaryDirectory() + "pith-distill-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let straight = try Trainer(config: config(student, epochs: 3, distillation: distillation(hint: hint)), description: student, splits: Self.digits, objective: o)
        try straight.run(checkpointPath: folder + "/a.ckpt")
        XCTAssertNotEqual(o.auxiliaryParameters[0].scalars, before, "the regressor did not train")
        let first = try Trainer(config: config(student, epochs: 3, distillation: distillation(hint: hint)), description: student, splits: Self.digits, objective: try objective())
        try first.run(checkpointPath: folder + "/b.ckpt", stopAfter: 1)
        let resumedObjective = try objective()
        let resumed = try Trainer(resuming: Checkpoint(path: folder + "/b.ckpt"), path: folder + "/b.ckpt", splits: Self.digits, objective: resumedObjective)
        try resumed.run(checkpointPath: folder + "/b.ckpt")
        XCTAssertEqual(resumed.model.parameters.map(\.scalars), straight.model.parameters.map(\.scalars))
        XCTAssertEqual(resumedObjective.auxiliaryParameters.map(\.scalars), o.auxiliaryParameters.map(\.scalars))
        // The checkpoint's model is the student alone.
        XCTAssertEqual(try Checkpoint(path: folder + "/a.ckpt").model(path: "a").parameters.map(\.scalars), straight.model.parameters.map(\.scalars))
    }

    /// A hint between sequence layers: a Transformer teacher's token states regressed from
    /// an LSTM student's (a dense layer on every token); token counts must agree.
    func testHintBetweenSequenceLayers() throws {
        let student = try ModelDescription(parsing: "name rs\ninput 8 8\nlstm 8 sequence\nlstm 8\ndense 10\n", source: "rs")
        let teacherDescription = try ModelDescription(parsing: "name at\ninput 8 8\ndense 16\nposition\ntransformer-block heads 2 ff 16\nmean-tokens\ndense 10\n", source: "at")
        let t = try Trainer(config: config(teacherDescription, epochs: 1), description: teacherDescription, splits: Self.digits)
        try t.run(checkpointPath: nil)
        let o = try DistillationObjective(student: student, teachers: [t.model], config: distillation(hint: HintConfig(student: 1, teacher: 3, weight: 0.5)), seed: 7)
        XCTAssertEqual(o.auxiliaryParameters.map(\.shape), [[16, 8], [16]])
        let before = o.auxiliaryParameters[0].scalars
        let s = try Trainer(config: config(student, epochs: 1, distillation: distillation(hint: HintConfig(student: 1, teacher: 3, weight: 0.5))),
                            description: student, splits: Self.digits, objective: o)
        try s.run(checkpointPath: nil)
        XCTAssertNotEqual(o.auxiliaryParameters[0].scalars, before, "the regressor did not train")
        XCTAssertThrowsError(try HintRegressor(student: [7, 8], teacher: [8, 16], weight: 1, seed: 1)) {
            XCTAssert("\($0)".contains("7 tokens"), "\($0)")
        }
    }

    /// Teachers that do not fit the student, and settings out of range, are refused before
    /// any training.
    func testMismatchesAreRefused() throws {
        let d = description(16)
        let wideInput = Model(try ModelDescription(parsing: "name w\ninput 1 9 9\nflatten\ndense 4\nrelu\ndense 10\n", source: "w"), seed: 1)
        let fewClasses = Model(try ModelDescription(parsing: "name f\ninput 1 8 8\nflatten\ndense 4\nrelu\ndense 3\n", source: "f"), seed: 1)
        let cases: [(Model, DistillationConfig, String)] = [
            (wideInput, distillation(), "takes input"), (fewClasses, distillation(), "has 3 classes"),
            (teacher, distillation(temperature: 0), "temperature"), (teacher, distillation(alpha: 1.5), "alpha"),
            (teacher, distillation(hint: HintConfig(student: 9, teacher: 1, weight: 1)), "has layers 1...4"),
        ]
        for (t, c, fragment) in cases {
            XCTAssertThrowsError(try DistillationObjective(student: d, teachers: [t], config: c, seed: 1)) {
                XCTAssert("\($0)".contains(fragment), "\($0) lacks '\(fragment)'")
            }
        }
    }

    /// Mixup trains a student from soft targets alone (α = 1): the loss falls and a seeded
    /// run repeats bit for bit; with hard labels in the loss (α < 1, or plain training)
    /// the trainer refuses it before the first step.
    func testMixupOnlyWithoutHardLabels() throws {
        let d = description(16)
        func trained() throws -> Trainer {
            var c = config(d, epochs: 3, distillation: distillation(alpha: 1))
            c.augmentation = Augmentation(shift: 1, mixup: 0.5)
            let t = try Trainer(config: c, description: d, splits: Self.digits,
                                objective: try DistillationObjective(student: d, teachers: [teacher], config: distillation(alpha: 1), seed: 7))
            try t.run(checkpointPath: nil)
            return t
        }
        let a = try trained(), b = try trained()
        XCTAssertLessThan(a.history.last!.trainLoss, a.history.first!.trainLoss)
        XCTAssertEqual(a.model.parameters.map(\.scalars), b.model.parameters.map(\.scalars))
        var labelled = config(d, distillation: distillation(alpha: 0.9))
        labelled.augmentation = Augmentation(mixup: 0.5)
        XCTAssertThrowsError(try Trainer(config: labelled, description: d, splits: Self.digits,
                                         objective: try DistillationObjective(student: d, teachers: [teacher], config: distillation(alpha: 0.9), seed: 7))) {
            XCTAssert("\($0)".contains("mixup blends two images"), "\($0)")
        }
        labelled.distillation = nil
        XCTAssertThrowsError(try Trainer(config: labelled, description: d, splits: Self.digits)) {
            XCTAssert("\($0)".contains("mixup blends two images"), "\($0)")
        }
    }
}
