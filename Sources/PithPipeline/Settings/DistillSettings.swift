import PithDistill
import PithNN

/// How a student learns from its teachers: `pith distill`'s own options and a recipe's
/// `student` keys beside the training ones. Loss: α·T²·KL(softmax(t/T) ‖ softmax(s/T))
/// + (1−α)·CE(s, y); a FitNets hint S:T adds β·‖r(s_S) − t_T‖² (layers from 1).
public struct DistillSettings: Equatable, Sendable {
    public var temperature: Float = 20
    public var alpha: Float = 0.9
    public var cacheLogits = false
    /// "STUDENT_LAYER:TEACHER_LAYER", or nil for no hint.
    public var hint: String?
    public var hintWeight: Float = 1
    public var qat = false
    /// Mixup's Beta(a, a) parameter (0: none).
    public var mixup: Float = 0

    public init() {}

    /// The first setting out of its range; `augmented` says whether the training settings
    /// ask for --shift, --rotate or --scale.
    public func validate(augmented: Bool) throws(SettingsError) {
        guard temperature > 0 && temperature.isFinite else { throw SettingsError("--temperature must be greater than 0") }
        guard alpha >= 0 && alpha <= 1 else { throw SettingsError("--alpha must be within [0, 1]") }
        guard hintWeight >= 0 && hintWeight.isFinite else { throw SettingsError("--hint-weight must be zero or positive") }
        if cacheLogits && augmented { throw SettingsError("--cache-logits needs fixed inputs; it cannot be combined with --shift, --rotate or --scale") }
        if let problem = Augmentation(mixup: mixup).rangeProblem { throw SettingsError("--\(problem)") }
        if mixup > 0 {
            guard alpha == 1 else { throw SettingsError("--mixup needs --alpha 1: a mixed image has no single hard label") }
            guard !cacheLogits else { throw SettingsError("--cache-logits needs fixed inputs; it cannot be combined with --mixup") }
        }
        _ = try hintConfig()
    }

    /// The hint as the trainer takes it (nil: none).
    public func hintConfig() throws(SettingsError) -> HintConfig? {
        guard let hint else { return nil }
        let parts = hint.split(separator: ":")
        guard parts.count == 2, let s = Int(parts[0]), let t = Int(parts[1]), s >= 1, t >= 1 else {
            throw SettingsError("--hint must be STUDENT_LAYER:TEACHER_LAYER, two layer numbers from 1, e.g. 6:6; got '\(hint)'")
        }
        return HintConfig(student: s, teacher: t, weight: hintWeight)
    }

    public mutating func set(_ key: String, _ value: RecipeValue) throws(SettingsError) -> Bool {
        switch key {
        case "temperature": temperature = try value.float(key)
        case "alpha": alpha = try value.float(key)
        case "cache-logits": cacheLogits = try value.bool(key)
        case "hint": hint = try value.string(key)
        case "hint-weight": hintWeight = try value.float(key)
        case "qat": qat = try value.bool(key)
        case "mixup": mixup = try value.float(key)
        default: return false
        }
        return true
    }

    public static let keys = ["temperature", "alpha", "cache-logits", "hint", "hint-weight", "qat", "mixup"]
}

/// `pith train`'s options beyond the shared training ones: quantization-aware training.
public struct QATSettings: Equatable, Sendable {
    public var qat = false
    /// Weight of each new batch in the tracked activation ranges.
    public var momentum: Float = 0.01

    public init() {}

    public func validate() throws(SettingsError) {
        guard momentum > 0 && momentum <= 1 else { throw SettingsError("--qat-momentum must be in (0, 1]") }
    }

    /// The QAT configuration, or nil for float training.
    public var config: QATConfig? { qat ? QATConfig(momentum: momentum) : nil }

    public mutating func set(_ key: String, _ value: RecipeValue) throws(SettingsError) -> Bool {
        switch key {
        case "qat": qat = try value.bool(key)
        case "qat-momentum": momentum = try value.float(key)
        default: return false
        }
        return true
    }

    public static let keys = ["qat", "qat-momentum"]
}
