import PithNN

/// The distillation part of a recipe: what the student learns from. A checkpoint keeps it
/// in `TrainingConfig.distillation` as JSON (`record`), which PithNN stores unread;
/// `recorded(in:path:)` reads it back and checks it.
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

    /// The configuration as `TrainingConfig.distillation` holds it.
    public var record: JSONValue {
        // A struct of strings, numbers and flags always encodes.
        try! JSONValue(encoding: self)
    }

    /// The distillation recorded in `config` (nil: the run does not distil), checked as a
    /// checkpoint's header fields are; `path` names the checkpoint in errors.
    public static func recorded(in config: TrainingConfig, path: String) throws(PithError) -> DistillationConfig? {
        guard let record = config.distillation else { return nil }
        let d: DistillationConfig
        do { d = try record.decode(DistillationConfig.self, field: "config.distillation") } catch {
            throw .badFile(path: path, problem: "header \(error)")
        }
        let positiveFinite = Float.leastNonzeroMagnitude...Float.greatestFiniteMagnitude
        let checks: [String?] = [
            Checkpoint.outside("config.distillation.temperature", d.temperature, positiveFinite),
            Checkpoint.outside("config.distillation.alpha", d.alpha, 0...1),
            d.teachers.count == d.teacherHashes.count ? nil
                : "header field 'config.distillation.teacherHashes' holds \(d.teacherHashes.count) hashes for \(d.teachers.count) teachers",
            d.teachers.isEmpty ? "header field 'config.distillation.teachers' is empty" : nil,
        ]
        if let problem = checks.lazy.compactMap({ $0 }).first { throw .badFile(path: path, problem: problem) }
        return d
    }
}

/// A FitNets hint pair: the outputs of layer `student` of the student (1-based, as in its
/// model file) and layer `teacher` of the (first) teacher, and the loss weight β.
public struct HintConfig: Codable, Equatable, Sendable {
    public var student: Int
    public var teacher: Int
    public var weight: Float

    public init(student: Int, teacher: Int, weight: Float) {
        (self.student, self.teacher, self.weight) = (student, teacher, weight)
    }
}
