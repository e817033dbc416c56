import PithQuant

/// How a checkpoint becomes the int8 `.pith` file: `pith quantize`'s options and a
/// recipe's `quantize` keys.
public struct QuantizeSettings: Equatable, Sendable {
    /// Training samples used for calibration.
    public var calibration = 1000
    /// nil: the ranges quantization-aware training tracked, else min/max.
    public var method: CalibrationMethod?
    public var percentile = 99.99
    /// Every section stored raw (no zstd), for readers without a zstd decoder.
    public var raw = false

    public init() {}

    public func validate() throws(SettingsError) {
        guard calibration >= 1 && calibration <= 1_000_000 else { throw SettingsError("--calibration must be between 1 and 1000000") }
        guard percentile > 50 && percentile <= 100 else { throw SettingsError("--percentile must be in (50, 100]") }
    }

    public mutating func set(_ key: String, _ value: RecipeValue) throws(SettingsError) -> Bool {
        switch key {
        case "calibration": calibration = try value.int(key)
        case "method": method = try value.choice(key, CalibrationMethod.self)
        case "percentile": percentile = try value.double(key)
        case "raw": raw = try value.bool(key)
        default: return false
        }
        return true
    }

    public static let keys = ["calibration", "method", "percentile", "raw"]
}
