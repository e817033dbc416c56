import Foundation
import PithNN

/// A pipeline recipe (`models/NAME.recipe`, JSON): the data, then one object per stage whose
/// keys are that stage's command-line options, so a recipe says exactly what the equivalent
/// `pith train` / `pith distill` / `pith quantize` commands would:
///
///     { "name": "mnist-cnn",
///       "data": { "name": "mnist", "mnist-dir": "../shared/data/mnist" },
///       "seed": 1,
///       "teacher":  { "model": "cnn-teacher", "epochs": 12, "schedule": "cosine", "shift": 2 },
///       "student":  { "model": "cnn-student", "epochs": 30, "temperature": 4, "alpha": 0.5, "cache-logits": true },
///       "quantize": { "calibration": 1000 } }
///
/// `teacher` may name a trained checkpoint instead (`{ "checkpoint": "path" }`), or an ONNX
/// model (`{ "onnx": "model.onnx" }`, imported as `pith import` does); without
/// `student` the teacher itself is quantized. `true` sets a flag. Each key is applied to the
/// stage's typed settings (`TrainingSettings`, `DistillSettings`, `QATSettings`,
/// `QuantizeSettings`), which check its kind and range; no command line is built.
public struct Recipe: Sendable {
    public var path: String
    public var name: String
    /// The data set's name (or training file).
    public var data: String
    /// The data set with how it is read (label column, header, validation and test files).
    public var dataSpec = DataSpec(name: "")
    public var mnistDirectory: String?
    public var seed: UInt64
    /// Per stage: the model (or checkpoint) and the options, by key, in key order.
    public var teacher: Stage
    public var student: Stage?
    public var quantize: Stage
    /// The recipe file's bytes, for the manifest.
    public var bytes: [UInt8]
    /// True for a recipe built into the binary (tools/embed-models), not read from a file.
    public var builtIn = false

    public struct Stage: Sendable {
        /// A model description name or file (trained by the stage), or nil when `checkpoint` is given.
        public var model: String?
        public var checkpoint: String?
        /// The stage's options: keys (option names without `--`) and values, sorted by key.
        public var options: [(key: String, value: RecipeValue)]

        /// The options as `--key=value` words (flags as `--key`), for the manifest's record
        /// of the equivalent command.
        public var arguments: [String] {
            options.compactMap { o in
                switch o.value.json {
                case let .bool(b): return b ? "--" + o.key : nil
                case let .number(n): return "--\(o.key)=" + (n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n))
                case let .string(s): return "--\(o.key)=\(s)"
                default: return "--\(o.key)=?"
                }
            }
        }

        /// Applies every option with `apply` (a chain of settings' `set`), which returns false
        /// for a key no setting knows; errors name the recipe, the stage and the key.
        public func apply(field: String, recipe path: String, known: [String],
                          _ apply: (String, RecipeValue) throws(SettingsError) -> Bool) throws(PithError) {
            for o in options {
                let found: Bool
                do { found = try apply(o.key, o.value) } catch { throw .badFile(path: path, problem: "\(field): \(error.description)") }
                guard found else {
                    throw .badFile(path: path, problem: "\(field): unknown option '\(o.key)' (known: \(known.sorted().joined(separator: ", ")))")
                }
            }
        }
    }

    public init(parsing bytes: [UInt8], path: String) throws(PithError) {
        self.path = path
        self.bytes = bytes
        let parsed: JSONValue
        do { parsed = try StrictJSON.parse(bytes) } catch {
            throw .badFile(path: path, problem: "not valid JSON (\(error))")
        }
        guard case let .object(object) = parsed else { throw .badFile(path: path, problem: "a recipe is a JSON object") }
        let known: Set<String> = ["name", "description", "data", "seed", "teacher", "student", "quantize"]
        if let stray = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw .badFile(path: path, problem: "unknown field '\(stray)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard case let .string(name)? = object["name"], !name.isEmpty, !name.contains("/") else {
            throw .badFile(path: path, problem: "field 'name' must be a non-empty string without '/'")
        }
        self.name = name
        switch object["data"] {
        case let .string(s)?:
            data = s
        case let .object(d)?:
            let keys: Set<String> = ["name", "mnist-dir", "header", "label-column", "validation", "test"]
            if let stray = d.keys.sorted().first(where: { !keys.contains($0) }) {
                throw .badFile(path: path, problem: "unknown field 'data.\(stray)' (known: \(keys.sorted().joined(separator: ", ")))")
            }
            func string(_ key: String) throws(PithError) -> String? {
                guard let v = d[key] else { return nil }
                guard case let .string(s) = v, !s.isEmpty else { throw .badFile(path: path, problem: "field 'data.\(key)' must be a non-empty string") }
                return s
            }
            guard let n = try string("name") else { throw .badFile(path: path, problem: "field 'data.name' must be a string") }
            data = n
            mnistDirectory = try string("mnist-dir")
            dataSpec = DataSpec(name: n, header: try string("header"), labelColumn: try string("label-column"),
                                validation: try string("validation"), test: try string("test"))
            do { _ = try dataSpec.headerRule(); _ = try dataSpec.labelRule() } catch {
                throw .badFile(path: path, problem: "field 'data': \(error.description)")
            }
            guard (dataSpec.validation == nil) == (dataSpec.test == nil) else {
                throw .badFile(path: path, problem: "field 'data' needs both 'validation' and 'test' files, or neither (a 60/20/20 split)")
            }
        default:
            throw .badFile(path: path, problem: "field 'data' must be a data set name or { \"name\": …, \"label-column\": …, … }")
        }
        if dataSpec.name != data { dataSpec = DataSpec(name: data) }
        if let s = object["seed"] {
            guard case let .number(n) = s, let v = UInt64(exactly: n) else { throw .badFile(path: path, problem: "field 'seed' must be a whole number ≥ 0") }
            seed = v
        } else {
            seed = 1
        }
        guard let t = object["teacher"] else { throw .badFile(path: path, problem: "field 'teacher' is missing") }
        teacher = try Self.stage(t, field: "teacher", path: path, allowCheckpoint: true)
        student = try object["student"].map { s throws(PithError) in try Self.stage(s, field: "student", path: path, allowCheckpoint: false) }
        quantize = try object["quantize"].map { q throws(PithError) in try Self.stage(q, field: "quantize", path: path, allowCheckpoint: false, needsModel: false) }
            ?? Stage(model: nil, checkpoint: nil, options: [])
    }

    /// One stage object: `model` (or `checkpoint`) and the rest as options.
    static func stage(_ value: JSONValue, field: String, path: String, allowCheckpoint: Bool, needsModel: Bool = true) throws(PithError) -> Stage {
        guard case let .object(object) = value else { throw .badFile(path: path, problem: "field '\(field)' must be an object of options") }
        var stage = Stage(model: nil, checkpoint: nil, options: [])
        for key in object.keys.sorted() {
            let v = object[key]!
            if key == "model" || key == "checkpoint" || key == "onnx" {
                guard needsModel, key == "model" || allowCheckpoint else { throw .badFile(path: path, problem: "field '\(field).\(key)' is not allowed here") }
                guard case let .string(s) = v, !s.isEmpty else { throw .badFile(path: path, problem: "field '\(field).\(key)' must be a string") }
                guard key != "onnx" || s.hasSuffix(".onnx") else { throw .badFile(path: path, problem: "field '\(field).onnx' must name a .onnx file") }
                guard stage.checkpoint == nil else { throw .badFile(path: path, problem: "field '\(field)' names both 'checkpoint' and 'onnx'") }
                if key == "model" { stage.model = s } else { stage.checkpoint = s }
                continue
            }
            // An option name: lower-case words joined by '-' (no '=', no spaces), so a key
            // cannot smuggle in a value ("output=/elsewhere") past the list below.
            guard let first = key.utf8.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z"),
                  key.utf8.allSatisfy({ ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }) else {
                throw .badFile(path: path, problem: "field '\(field).\(key)' is not an option name (lower-case letters, digits and '-')")
            }
            guard !["output", "o", "resume", "data", "mnist-dir", "threads", "models-dir", "stop-after", "teacher", "from"].contains(key) else {
                throw .badFile(path: path, problem: "field '\(field).\(key)' is set by the pipeline itself")
            }
            switch v {
            case .bool, .number, .string: stage.options.append((key, RecipeValue(v)))
            default: throw .badFile(path: path, problem: "field '\(field).\(key)' must be a number, string or boolean")
            }
        }
        if needsModel {
            guard (stage.model == nil) != (stage.checkpoint == nil) else {
                throw .badFile(path: path, problem: "field '\(field)' needs exactly one of 'model'\(allowCheckpoint ? " or 'checkpoint'" : "")")
            }
            if stage.checkpoint != nil && !stage.options.isEmpty {
                throw .badFile(path: path, problem: "field '\(field)': a given checkpoint is not trained, so it takes no options (found '\(stage.options[0].key)')")
            }
        }
        return stage
    }
}
