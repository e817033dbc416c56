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
/// `teacher` may name a trained checkpoint instead (`{ "checkpoint": "path" }`); without
/// `student` the teacher itself is quantized. `true` is a flag, a list repeats the option.
struct Recipe {
    var path: String
    var name: String
    var data: String
    var mnistDirectory: String?
    var seed: UInt64
    /// Per stage: the model (or checkpoint) and the options as `--key=value` arguments (one
    /// word each, so that a negative value is not taken for an option and gets its range check).
    var teacher: Stage
    var student: Stage?
    var quantize: [String]
    /// The recipe file's bytes, for the manifest.
    var bytes: [UInt8]

    struct Stage {
        /// A model description name or file (trained by the stage), or nil when `checkpoint` is given.
        var model: String?
        var checkpoint: String?
        var arguments: [String]
    }

    init(parsing bytes: [UInt8], path: String) throws(PithError) {
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
            guard case let .string(n)? = d["name"] else { throw .badFile(path: path, problem: "field 'data.name' must be a string") }
            data = n
            if let dir = d["mnist-dir"] {
                guard case let .string(dir) = dir else { throw .badFile(path: path, problem: "field 'data.mnist-dir' must be a string") }
                mnistDirectory = dir
            }
        default:
            throw .badFile(path: path, problem: "field 'data' must be a data set name or { \"name\": …, \"mnist-dir\": … }")
        }
        if let s = object["seed"] {
            guard case let .number(n) = s, let v = UInt64(exactly: n) else { throw .badFile(path: path, problem: "field 'seed' must be a whole number ≥ 0") }
            seed = v
        } else {
            seed = 1
        }
        guard let t = object["teacher"] else { throw .badFile(path: path, problem: "field 'teacher' is missing") }
        teacher = try Self.stage(t, field: "teacher", path: path, allowCheckpoint: true)
        student = try object["student"].map { s throws(PithError) in try Self.stage(s, field: "student", path: path, allowCheckpoint: false) }
        quantize = try object["quantize"].map { q throws(PithError) in try Self.stage(q, field: "quantize", path: path, allowCheckpoint: false, needsModel: false).arguments } ?? []
    }

    /// One stage object: `model` (or `checkpoint`) and the rest as options.
    static func stage(_ value: JSONValue, field: String, path: String, allowCheckpoint: Bool, needsModel: Bool = true) throws(PithError) -> Stage {
        guard case let .object(object) = value else { throw .badFile(path: path, problem: "field '\(field)' must be an object of options") }
        var stage = Stage(model: nil, checkpoint: nil, arguments: [])
        for key in object.keys.sorted() {
            let v = object[key]!
            if key == "model" || key == "checkpoint" {
                guard needsModel, key == "model" || allowCheckpoint else { throw .badFile(path: path, problem: "field '\(field).\(key)' is not allowed here") }
                guard case let .string(s) = v, !s.isEmpty else { throw .badFile(path: path, problem: "field '\(field).\(key)' must be a string") }
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
            let items: [JSONValue]
            if case let .array(a) = v { items = a } else { items = [v] }
            for item in items {
                switch item {
                case let .bool(b):
                    if b { stage.arguments.append("--" + key) }
                case let .number(n):
                    stage.arguments.append("--\(key)=" + (n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)))
                case let .string(s):
                    stage.arguments.append("--\(key)=\(s)")
                default:
                    throw .badFile(path: path, problem: "field '\(field).\(key)' must be a number, string, boolean or list of them")
                }
            }
        }
        if needsModel {
            guard (stage.model == nil) != (stage.checkpoint == nil) else {
                throw .badFile(path: path, problem: "field '\(field)' needs exactly one of 'model'\(allowCheckpoint ? " or 'checkpoint'" : "")")
            }
            if stage.checkpoint != nil && !stage.arguments.isEmpty {
                throw .badFile(path: path, problem: "field '\(field)': a given checkpoint is not trained, so it takes no options (found \(stage.arguments[0]))")
            }
        }
        return stage
    }
}
