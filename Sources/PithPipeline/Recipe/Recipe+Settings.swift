import PithNN

/// A recipe's stage objects as the typed settings each stage takes: the recipe's seed, then
/// the stage's keys, each checked for its kind and range. Errors name the recipe and stage.
extension Recipe {
    /// The teacher stage's settings: the recipe's seed, then its `teacher` keys.
    public func teacherSettings() throws(PithError) -> (TrainingSettings, QATSettings) {
        var training = TrainingSettings(), qat = QATSettings()
        training.seed = seed
        try teacher.apply(field: "teacher", recipe: path, known: TrainingSettings.keys + QATSettings.keys) { k, v throws(SettingsError) in
            if try training.set(k, v) { return true }
            return try qat.set(k, v)
        }
        do { try training.validate(); try qat.validate() } catch { throw .badFile(path: path, problem: "teacher: \(error.description)") }
        return (training, qat)
    }

    /// The student stage's settings: the recipe's seed, then its `student` keys.
    public func studentSettings() throws(PithError) -> (TrainingSettings, DistillSettings)? {
        guard let student else { return nil }
        var training = TrainingSettings(), distill = DistillSettings()
        training.seed = seed
        try student.apply(field: "student", recipe: path, known: TrainingSettings.keys + DistillSettings.keys) { k, v throws(SettingsError) in
            if try training.set(k, v) { return true }
            return try distill.set(k, v)
        }
        do { try training.validate(); try distill.validate(augmented: training.augmentation != nil) } catch {
            throw .badFile(path: path, problem: "student: \(error.description)")
        }
        return (training, distill)
    }

    public func quantizeSettings() throws(PithError) -> QuantizeSettings {
        var settings = QuantizeSettings()
        try quantize.apply(field: "quantize", recipe: path, known: QuantizeSettings.keys) { k, v throws(SettingsError) in try settings.set(k, v) }
        do { try settings.validate() } catch { throw .badFile(path: path, problem: "quantize: \(error.description)") }
        return settings
    }
}
