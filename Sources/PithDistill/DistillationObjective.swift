import PithNN
import PithTensor

/// Knowledge distillation as a training objective (Hinton, Vinyals and Dean 2015), with an
/// optional FitNets hint:
///
///     L = α · T² · KL(softmax(t/T) ‖ softmax(s/T)) + (1 − α) · CE(s, y) [+ β · L_hint]
///
/// s: the student's logits, t: the teachers' (soft targets averaged over an ensemble), y:
/// the labels. The teachers run on the same (augmented) batch as the student, or their
/// soft targets come from a per-sample cache when the batch is not augmented.
public final class DistillationObjective: TrainingObjective {
    public let teachers: Teachers
    public let alpha: Float
    public let hint: (config: HintConfig, regressor: HintRegressor)?

    /// Checks that the teachers fit the student: same input shape and class count, and a
    /// hint pair whose layers exist and can be regressed one onto the other.
    public init(student: ModelDescription, teachers: [Model], config: DistillationConfig, seed: UInt64) throws(PithError) {
        precondition(!teachers.isEmpty, "distillation without a teacher")
        guard config.temperature > 0, config.temperature.isFinite else { throw .mismatch("temperature \(config.temperature) must be a positive number") }
        guard config.alpha >= 0, config.alpha <= 1 else { throw .mismatch("alpha \(config.alpha) must be within [0, 1]") }
        for (path, teacher) in zip(config.teachers, teachers) {
            let t = teacher.description
            guard t.inputFeatures == student.inputFeatures else {
                throw .mismatch("teacher \(path) ('\(t.name)') takes input \(t.inputShape) but student '\(student.name)' takes \(student.inputShape)")
            }
            guard t.classes == student.classes else {
                throw .mismatch("teacher \(path) ('\(t.name)') has \(t.classes) classes but student '\(student.name)' has \(student.classes)")
            }
        }
        self.teachers = Teachers(teachers, temperature: config.temperature)
        self.alpha = config.alpha
        if let h = config.hint {
            let probe = Model(student, seed: 0)
            if let problem = probe.captureProblem(layer: h.student) { throw .mismatch("hint: student \(problem)") }
            if let problem = teachers[0].captureProblem(layer: h.teacher) { throw .mismatch("hint: teacher \(problem)") }
            guard h.weight >= 0, h.weight.isFinite else { throw .mismatch("hint weight \(h.weight) must be zero or positive") }
            let regressor = try HintRegressor(student: student.shapes[h.student - 1], teacher: teachers[0].description.shapes[h.teacher - 1],
                                              weight: h.weight, seed: seed)
            self.hint = (h, regressor)
        } else {
            self.hint = nil
        }
    }

    public var auxiliaryParameters: [Tensor] { hint?.regressor.parameters ?? [] }

    /// Only the hard-label term (weight 1 − α) reads the labels.
    public var readsLabels: Bool { alpha < 1 }

    public func loss(model: Model, x: Tensor, labels: [Int32], indices: ArraySlice<Int>?, rng: inout PithRandom) -> (loss: Tensor, logits: Tensor) {
        let logits: Tensor
        var hintLoss: Tensor?
        var targets: [Float]
        if let (config, regressor) = hint {
            let out = model.forward(x, training: true, rng: &rng, capturing: config.student)
            logits = out.logits
            var teacherRNG = PithRandom(seed: 0)
            let teacherOut = GradMode.withoutGrad { teachers.models[0].forward(x, training: false, rng: &teacherRNG, capturing: config.teacher) }
            hintLoss = regressor.loss(student: out.captured, teacher: teacherOut.captured)
            targets = indices.flatMap { teachers.cachedSoftTargets($0) } ?? teachers.softTargets(x)
        } else {
            logits = model.forward(x, training: true, rng: &rng)
            targets = indices.flatMap { teachers.cachedSoftTargets($0) } ?? teachers.softTargets(x)
        }
        var loss = alpha == 0 ? nil : scaled(softTargetLoss(logits: logits, targets: targets, temperature: teachers.temperature), alpha)
        if alpha < 1 {
            let hard = scaled(crossEntropy(logits: logits, labels: labels), 1 - alpha)
            loss = loss.map { $0 + hard } ?? hard
        }
        if let hintLoss { loss = loss! + hintLoss }
        return (loss!, logits)
    }
}

/// w · t for a scalar loss t (shape [1]).
func scaled(_ t: Tensor, _ w: Float) -> Tensor {
    w == 1 ? t : mul(t, Tensor([w], shape: [1]))
}
