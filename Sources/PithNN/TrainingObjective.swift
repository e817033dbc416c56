import PithTensor

/// What a training step minimises, when it is more than the config's loss on the model's
/// logits: distillation (PithDistill) supplies one.
public protocol TrainingObjective: AnyObject {
    /// Trainable tensors beyond the model's (a hint projection): the optimizer updates them
    /// with the model's, and checkpoints keep them after the model's parameters.
    var auxiliaryParameters: [Tensor] { get }

    /// The loss of one batch and the student's logits. x: the batch as the model takes it
    /// (augmented when the recipe augments); `indices`: the batch's rows in the training
    /// split, nil when x was augmented (so that per-sample caches do not apply); `rng`
    /// drives dropout.
    func loss(model: Model, x: Tensor, labels: [Int32], indices: ArraySlice<Int>?, rng: inout PithRandom) -> (loss: Tensor, logits: Tensor)

    /// Whether the loss reads `labels` (mixup, which blends two samples' images, needs an
    /// objective that does not).
    var readsLabels: Bool { get }
}

/// The distillation part of a recipe (see PithDistill): what the student learns from.
public struct DistillationConfig: Codable, Equatable, Sendable {
    /// Teacher checkpoints (several: an ensemble, their soft targets averaged).
    public var teachers: [String]
    /// A hash of each teacher checkpoint's bytes, checked when a run resumes.
    public var teacherHashes: [String]
    /// T > 0: logits are divided by T before the softmax on both sides.
    public var temperature: Float
    /// α ∈ [0, 1]: weight of the soft-target term; 1 − α weighs the hard-label cross-entropy.
    public var alpha: Float
    /// Teacher outputs computed once per training sample (only without augmentation).
    public var cacheLogits: Bool
    /// FitNets hint: a student layer regressed onto a teacher layer.
    public var hint: HintConfig?

    public init(teachers: [String], teacherHashes: [String], temperature: Float, alpha: Float,
                cacheLogits: Bool = false, hint: HintConfig? = nil) {
        self.teachers = teachers
        self.teacherHashes = teacherHashes
        self.temperature = temperature
        self.alpha = alpha
        self.cacheLogits = cacheLogits
        self.hint = hint
    }
}

/// A FitNets hint pair: the outputs of layer `student` of the student (1-based, as in its
/// model file) and layer `teacher` of the (first) teacher, and the loss weight β.
public struct HintConfig: Codable, Equatable, Sendable {
    public var student: Int
    public var teacher: Int
    public var weight: Float

    public init(student: Int, teacher: Int, weight: Float) {
        self.student = student
        self.teacher = teacher
        self.weight = weight
    }
}
