import ArgumentParser
import Foundation
import PithNN
import PithPipeline

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
    var temperature: Float = DistillSettings().temperature

    @Option(help: "Weight α of the soft-target term, in [0, 1]; 1 − α weighs the hard labels.")
    var alpha: Float = DistillSettings().alpha

    @Flag(name: .customLong("cache-logits"), help: "Compute the teachers' soft targets once per training sample (not with --shift, --rotate or --scale).")
    var cacheLogits = false

    @Option(help: "FitNets hint: STUDENT_LAYER:TEACHER_LAYER (1-based layer numbers of the model files).")
    var hint: String?

    @Option(name: .customLong("hint-weight"), help: "Weight β of the hint loss.")
    var hintWeight: Float = DistillSettings().hintWeight

    @Flag(help: "Train the student quantization-aware.")
    var qat = false

    @Option(help: "Mixup: each (shifted) image mixed with another of its batch, λ ~ Beta(a, a) (0: none; needs --alpha 1).")
    var mixup: Float = 0

    @OptionGroup var runOptions: RunOptions
    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var training: TrainingOptions

    var distillSettings: DistillSettings {
        var d = DistillSettings()
        (d.temperature, d.alpha, d.cacheLogits, d.hint, d.hintWeight, d.qat, d.mixup) = (temperature, alpha, cacheLogits, hint, hintWeight, qat, mixup)
        return d
    }

    func validate() throws {
        if runOptions.resume {
            guard teacher.isEmpty, student == nil else { throw ValidationError("--resume takes the teachers and student from the checkpoint; drop --teacher and --student") }
        } else {
            guard !teacher.isEmpty else { throw ValidationError("give at least one --teacher CHECKPOINT") }
            guard student != nil else { throw ValidationError("give --student MODEL") }
        }
        do { try distillSettings.validate(augmented: training.settings.augmentation != nil) } catch { throw ValidationError(error.description) }
    }

    /// A thin adapter over `DistillStage.run`.
    func run() throws {
        let teachers = runOptions.resume ? try DistillStage.recordedTeachers(runOptions.output) : teacher
        let recorded = runOptions.resume ? try Checkpoint(path: runOptions.output).config.dataSet : nil
        try refuseOutputOnInput(teachers: teachers, data: recorded)
        let splits = try dataOptions.load(recorded)
        let start: DistillStage.Start = runOptions.resume ? .resume
            : .fresh(student: try ModelFiles.load(student ?? "", modelsDirectory: runOptions.modelsDirectory), teachers: teacher)
        var request = DistillStage.Request(start: start, training: training.settings, distill: distillSettings, data: dataOptions.spec(recorded),
                                           output: runOptions.output, stopAfter: runOptions.stopAfter)
        request.quiet = runOptions.json || runOptions.quiet
        let outcome = try DistillStage.run(request, splits: splits)
        if runOptions.json { print(runOptions.json(outcome)) }
    }

    /// Refuses a -o that is one of `teachers`, the student's model description or a data
    /// file (with --resume the checkpoint at -o is read and written by design).
    func refuseOutputOnInput(teachers: [String], data recorded: DataSpec?) throws(PithError) {
        var inputs = dataOptions.inputFiles(recorded) + teachers.map { OutputPath.File("the --teacher checkpoint", $0) }
        if let student, let path = try? ModelFiles.find(student, modelsDirectory: runOptions.modelsDirectory, extension: "model", kind: "model") {
            inputs.append(.init("the --student model description", path))
        }
        try OutputPath.refuseSameFile("distill", outputs: [.init("-o", runOptions.output)], inputs: inputs)
    }
}
