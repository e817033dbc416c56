import Foundation
import PithDistill
import PithFormat
import PithNN
import PithONNX
import PithQuant

/// The distillation stage: a student trained on one or more teachers' soft targets and the
/// labels, into a checkpoint written after every epoch. `pith distill` and the pipeline's
/// student stage call `DistillStage.run`.
public enum DistillStage {
    public enum Start: Sendable {
        /// A fresh student of this description, taught by these teacher checkpoints.
        case fresh(student: ModelDescription, teachers: [String])
        /// The distillation whose checkpoint is at the request's output, continued (its
        /// teachers and student come from the checkpoint).
        case resume
    }

    public struct Request: Sendable {
        public var start: Start
        public var training: TrainingSettings
        public var distill: DistillSettings
        /// The data set as the checkpoint records it.
        public var data: DataSpec
        public var dataName: String { data.name }
        public var output: String
        public var stopAfter: Int?
        /// Print nothing (the caller reports the outcome, e.g. as JSON).
        public var quiet = false

        public init(start: Start, training: TrainingSettings, distill: DistillSettings, data: DataSpec, output: String, stopAfter: Int? = nil) {
            self.start = start
            self.training = training
            self.distill = distill
            self.data = data
            self.output = output
            self.stopAfter = stopAfter
        }
    }

    /// Loads the teacher checkpoints, checking that each was trained on `data`.
    public static func loadTeachers(_ paths: [String], data: String) throws -> (models: [Model], hashes: [String]) {
        var models: [Model] = [], hashes: [String] = []
        for path in paths {
            // A teacher may be an ONNX file (imported here, as taking the distillation's data).
            let ckpt = try ONNXImport.checkpointOrONNX(path: path, data: data)
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

    /// The teachers a resumed distillation recorded (for refusing an output that is one).
    public static func recordedTeachers(_ output: String) throws -> [String] {
        try recorded(try Checkpoint(path: output), path: output).teachers
    }

    /// The distillation `checkpoint` (at `path`) records, checked.
    static func recorded(_ checkpoint: Checkpoint, path: String) throws -> DistillationConfig {
        guard let distillation = try DistillationConfig.recorded(in: checkpoint.config, path: path) else {
            throw PithError.badFile(path: path, problem: "was not written by 'pith distill' (no teachers recorded); resume it with 'pith train --resume'")
        }
        return distillation
    }

    /// Distils as `request` says on `splits`, printing one line per epoch.
    public static func run(_ request: Request, splits: DataSplits) throws -> TrainStage.Outcome {
        func say(_ line: String) { if !request.quiet { print(line) } }
        let trainer: Trainer
        let objective: DistillationObjective
        let distillation: DistillationConfig
        let output = request.output, d = request.distill
        switch request.start {
        case .resume:
            let checkpoint = try Checkpoint(path: output)
            distillation = try recorded(checkpoint, path: output)
            var check = try ResumeCheck(checkpoint, path: output, training: request.training, dataName: request.dataName)
            let defaults = DistillSettings()
            check.compare("--temperature", d.temperature, default: defaults.temperature, recorded: distillation.temperature)
            check.compare("--alpha", d.alpha, default: defaults.alpha, recorded: distillation.alpha)
            check.compare("--cache-logits", d.cacheLogits, default: defaults.cacheLogits, recorded: distillation.cacheLogits)
            check.compare("--hint", d.hint ?? "none", default: "none", recorded: distillation.hint.map { "\($0.student):\($0.teacher)" } ?? "none")
            check.compare("--hint-weight", d.hintWeight, default: defaults.hintWeight, recorded: distillation.hint?.weight ?? defaults.hintWeight)
            check.compare("--qat", d.qat, default: defaults.qat, recorded: checkpoint.config.qat != nil)
            check.compare("--mixup", d.mixup, default: defaults.mixup, recorded: checkpoint.config.augmentation?.mixup ?? 0)
            try check.finish()
            let (teachers, hashes) = try loadTeachers(distillation.teachers, data: checkpoint.config.data)
            for (path, (was, now)) in zip(distillation.teachers, zip(distillation.teacherHashes, hashes)) where was != now {
                throw PithError.badFile(path: path, problem: "has changed since the run began (xxh64 \(now), was \(was))")
            }
            let description = try ModelDescription(parsing: checkpoint.config.modelText, source: "\(output) (model)")
            objective = try DistillationObjective(student: description, teachers: teachers, config: distillation, seed: checkpoint.config.seed)
            trainer = try Trainer(resuming: checkpoint, path: output, splits: splits, objective: objective)
            say("resuming the distillation of \(description.name) at epoch \(trainer.epochsDone + 1) of \(trainer.config.epochs)")
        case let .fresh(description, teacherPaths):
            if let note = GraphExport.packingNote(description) { say("note: \(note)") }
            if d.qat { try PostTrainingQuantizer.checkQuantizable(description) }
            try checkWritable(output)
            let (teachers, hashes) = try loadTeachers(teacherPaths, data: request.dataName)
            let hintConfig = try d.hintConfig()
            distillation = DistillationConfig(teachers: teacherPaths, teacherHashes: hashes, temperature: d.temperature, alpha: d.alpha,
                                              cacheLogits: d.cacheLogits, hint: hintConfig)
            var config = try request.training.config(model: description, data: request.data, train: splits.train)
            if d.mixup > 0 {
                var augmentation = request.training.augmentation ?? Augmentation()
                augmentation.mixup = d.mixup
                config.augmentation = augmentation
            }
            config.distillation = distillation.record
            config.qat = d.qat ? QATConfig() : nil
            objective = try DistillationObjective(student: description, teachers: teachers, config: distillation, seed: config.seed)
            trainer = try Trainer(config: config, description: description, splits: splits, objective: objective)
            let names = teachers.map(\.description.name).joined(separator: " + ")
            say("distilling \(names) into \(description.name) (\(description.parameterCount) parameters) on \(splits.train.name) at T = \(d.temperature), α = \(d.alpha)"
                  + (hintConfig.map { ", hint \($0.student):\($0.teacher) β = \($0.weight)" } ?? "") + (d.qat ? ", quantization-aware" : "") + (d.mixup > 0 ? ", mixup Beta(\(d.mixup), \(d.mixup))" : ""))
        }
        if distillation.cacheLogits {
            objective.teachers.cacheSoftTargets(splits.train, shape: objective.teachers.models[0].description.inputShape)
        }
        return try TrainStage.finish(trainer, output: output, stopAfter: request.stopAfter, test: splits.test, quiet: request.quiet)
    }
}
