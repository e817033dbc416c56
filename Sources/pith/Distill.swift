import ArgumentParser
import Foundation
import PithDistill
import PithFormat
import PithNN
import PithQuant

/// `pith distill --teacher CKPT --student MODEL -o CHECKPOINT`: trains a student on the
/// teachers' soft targets and the labels.
struct Distill: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Distil one or more trained teachers into a student model.",
        discussion: """
            Loss: α·T²·KL(softmax(t/T) ‖ softmax(s/T)) + (1−α)·CE(s, y) (Hinton, Vinyals and Dean 2015); several --teacher checkpoints form an ensemble whose soft targets are averaged. The teachers run on every (augmented) batch; without --shift, --rotate or --scale, --cache-logits computes their soft targets once per sample instead. --hint S:T adds a FitNets hint: a learned 1x1 convolution (or dense layer) from the student's layer S onto the teacher's layer T, L2, weighted by --hint-weight (layers numbered from 1 as in the model files). --qat trains the student quantization-aware, for 'pith quantize'. --mixup a (with α = 1) mixes each image with another of its batch, teacher and student seeing the same mixture (function matching, Beyer et al. 2022).
            """)

    @Option(help: "Teacher checkpoint (repeat for an ensemble).")
    var teacher: [String] = []

    @Option(help: "Student model description file, or a name under models/.")
    var student: String?

    @Option(help: "Softmax temperature T of the soft targets (> 0).")
    var temperature: Float = 20

    @Option(help: "Weight α of the soft-target term, in [0, 1]; 1 − α weighs the hard labels.")
    var alpha: Float = 0.9

    @Flag(name: .customLong("cache-logits"), help: "Compute the teachers' soft targets once per training sample (not with --shift, --rotate or --scale).")
    var cacheLogits = false

    @Option(help: "FitNets hint: STUDENT_LAYER:TEACHER_LAYER (1-based layer numbers of the model files).")
    var hint: String?

    @Option(name: .customLong("hint-weight"), help: "Weight β of the hint loss.")
    var hintWeight: Float = 1

    @Flag(help: "Train the student quantization-aware.")
    var qat = false

    @Option(help: "Mixup: each (shifted) image mixed with another of its batch, λ ~ Beta(a, a) (0: none; needs --alpha 1).")
    var mixup: Float = 0

    @OptionGroup var runOptions: RunOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var training: TrainingOptions

    func validate() throws {
        guard temperature > 0 && temperature.isFinite else { throw ValidationError("--temperature must be greater than 0") }
        guard alpha >= 0 && alpha <= 1 else { throw ValidationError("--alpha must be within [0, 1]") }
        guard hintWeight >= 0 && hintWeight.isFinite else { throw ValidationError("--hint-weight must be zero or positive") }
        if runOptions.resume {
            guard teacher.isEmpty, student == nil else { throw ValidationError("--resume takes the teachers and student from the checkpoint; drop --teacher and --student") }
        } else {
            guard !teacher.isEmpty else { throw ValidationError("give at least one --teacher CHECKPOINT") }
            guard student != nil else { throw ValidationError("give --student MODEL") }
        }
        if cacheLogits && training.augmentation != nil { throw ValidationError("--cache-logits needs fixed inputs; it cannot be combined with --shift, --rotate or --scale") }
        if let problem = Augmentation(mixup: mixup).rangeProblem { throw ValidationError("--\(problem)") }
        if mixup > 0 {
            guard alpha == 1 else { throw ValidationError("--mixup needs --alpha 1: a mixed image has no single hard label") }
            guard !cacheLogits else { throw ValidationError("--cache-logits needs fixed inputs; it cannot be combined with --mixup") }
        }
        if let hint { _ = try Self.parseHint(hint, weight: hintWeight) }
    }

    static func parseHint(_ text: String, weight: Float) throws -> HintConfig {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let s = Int(parts[0]), let t = Int(parts[1]), s >= 1, t >= 1 else {
            throw ValidationError("--hint must be STUDENT_LAYER:TEACHER_LAYER, two layer numbers from 1, e.g. 6:6; got '\(text)'")
        }
        return HintConfig(student: s, teacher: t, weight: weight)
    }

    /// Loads the teacher checkpoints, checking that each was trained on `data`.
    static func loadTeachers(_ paths: [String], data: String) throws -> (models: [Model], hashes: [String]) {
        var models: [Model] = [], hashes: [String] = []
        for path in paths {
            let ckpt = try Checkpoint(path: path)
            guard ckpt.config.data == data else {
                throw PithError.mismatch("teacher \(path) was trained on '\(ckpt.config.data)', not on '\(data)' (--data)")
            }
            let model = try ckpt.model(path: path)
            model.fakeQuantization = nil
            models.append(model)
            hashes.append(hex(XXH64.hash(try FileBytes.read(path, limit: FileBytes.Limit.checkpoint))))
        }
        return (models, hashes)
    }

    func run() throws {
        try refuseOutputOnInput(teachers: teacher)
        let splits = try dataOptions.load()
        let trainer: Trainer
        let objective: DistillationObjective
        if runOptions.resume {
            let checkpoint = try Checkpoint(path: runOptions.output)
            guard let distillation = checkpoint.config.distillation else {
                throw PithError.badFile(path: runOptions.output, problem: "was not written by 'pith distill' (no teachers recorded); resume it with 'pith train --resume'")
            }
            try refuseOutputOnInput(teachers: distillation.teachers)
            var check = try ResumeCheck(checkpoint, path: runOptions.output, training: training, data: dataOptions)
            let d = try Self.parse(["--teacher", "x", "--student", "x", "-o", "x"])
            check.compare("--temperature", temperature, default: d.temperature, recorded: distillation.temperature)
            check.compare("--alpha", alpha, default: d.alpha, recorded: distillation.alpha)
            check.compare("--cache-logits", cacheLogits, default: d.cacheLogits, recorded: distillation.cacheLogits)
            check.compare("--hint", hint ?? "none", default: d.hint ?? "none", recorded: distillation.hint.map { "\($0.student):\($0.teacher)" } ?? "none")
            check.compare("--hint-weight", hintWeight, default: d.hintWeight, recorded: distillation.hint?.weight ?? d.hintWeight)
            check.compare("--qat", qat, default: d.qat, recorded: checkpoint.config.qat != nil)
            check.compare("--mixup", mixup, default: d.mixup, recorded: checkpoint.config.augmentation?.mixup ?? 0)
            try check.finish()
            let (teachers, hashes) = try Self.loadTeachers(distillation.teachers, data: checkpoint.config.data)
            for (path, (was, now)) in zip(distillation.teachers, zip(distillation.teacherHashes, hashes)) where was != now {
                throw PithError.badFile(path: path, problem: "has changed since the run began (xxh64 \(now), was \(was))")
            }
            let description = try ModelDescription(parsing: checkpoint.config.modelText, source: "\(runOptions.output) (model)")
            objective = try DistillationObjective(student: description, teachers: teachers, config: distillation, seed: checkpoint.config.seed)
            trainer = try Trainer(resuming: checkpoint, path: runOptions.output, splits: splits, objective: objective)
            print("resuming the distillation of \(description.name) at epoch \(trainer.epochsDone + 1) of \(trainer.config.epochs)")
        } else {
            let description = try ModelFiles.load(student ?? "", modelsDirectory: runOptions.modelsDirectory)
            if qat { try PostTrainingQuantizer.checkQuantizable(description) }
            try checkWritable(runOptions.output)
            let (teachers, hashes) = try Self.loadTeachers(teacher, data: dataOptions.data)
            let hintConfig = try hint.map { try Self.parseHint($0, weight: hintWeight) }
            let distillation = DistillationConfig(teachers: teacher, teacherHashes: hashes, temperature: temperature, alpha: alpha,
                                                  cacheLogits: cacheLogits, hint: hintConfig)
            var config = training.config(model: description, data: dataOptions.data)
            if mixup > 0 {
                var augmentation = training.augmentation ?? Augmentation()
                augmentation.mixup = mixup
                config.augmentation = augmentation
            }
            config.distillation = distillation
            config.qat = qat ? QATConfig() : nil
            objective = try DistillationObjective(student: description, teachers: teachers, config: distillation, seed: config.seed)
            trainer = try Trainer(config: config, description: description, splits: splits, objective: objective)
            let names = teachers.map(\.description.name).joined(separator: " + ")
            print("distilling \(names) into \(description.name) (\(description.parameterCount) parameters) on \(splits.train.name) at T = \(temperature), α = \(alpha)"
                  + (hintConfig.map { ", hint \($0.student):\($0.teacher) β = \($0.weight)" } ?? "") + (qat ? ", quantization-aware" : "") + (mixup > 0 ? ", mixup Beta(\(mixup), \(mixup))" : ""))
        }
        if trainer.config.distillation?.cacheLogits == true {
            objective.teachers.cacheSoftTargets(splits.train, shape: objective.teachers.models[0].description.inputShape)
        }
        try runOptions.train(trainer, test: splits.test)
    }

    /// Refuses a -o that is one of `teachers`, the student's model description or a data
    /// file (with --resume the checkpoint at -o is read and written by design).
    func refuseOutputOnInput(teachers: [String]) throws(PithError) {
        var inputs = dataOptions.inputFiles + teachers.map { OutputPath.File("the --teacher checkpoint", $0) }
        if let student, let path = try? ModelFiles.find(student, modelsDirectory: runOptions.modelsDirectory, extension: "model", kind: "model") {
            inputs.append(.init("the --student model description", path))
        }
        try OutputPath.refuseSameFile("distill", outputs: [.init("-o", runOptions.output)], inputs: inputs)
    }
}
