import Foundation
import PithFormat
import PithNN

/// `manifest.json` in a pipeline's output folder: every stage's inputs (as one hash), the
/// command it ran, the artifacts it made (bytes and xxh64) and the figures measured. A stage
/// whose input hash and artifacts still match is skipped on the next run; a stage recorded
/// as `running` was interrupted, and its checkpoint is resumed.
public struct Manifest: Codable {
    public var recipe: String
    public var recipeXXH64: String
    public var stages: [StageRecord] = []

    public struct Artifact: Codable, Equatable {
        /// Relative to the output folder, or absolute for a file outside it.
        public var path: String
        public var bytes: Int
        public var xxh64: String
    }

    /// Test-split figures of one stage's model.
    public struct Figures: Codable, Equatable {
        public var testAccuracy: Double?
        public var testErrors: Int?
        public var testCount: Int?
        public var bytes: Int?
        public var parameters: Int?
        public var latencyMicroseconds: Double?
        /// Row: true class, column: predicted class (the int8 model).
        public var confusion: [[Int]]?
        public var note: String?
        /// The run stage: how the standalone executable's predictions differ from the
        /// runtime's (nil: they agree on every sample).
        public var disagreement: String?
    }

    public struct StageRecord: Codable {
        public var name: String
        /// xxh64 of the stage's inputs: its arguments, the hashes of the files it reads, the data.
        public var inputs: String
        /// "running" or "done".
        public var status: String
        public var command: [String]
        public var artifacts: [Artifact] = []
        public var figures = Figures()
        public var seconds: Double = 0
        public var finished: String?
    }

    /// The manifest at `path`, or nil when there is none. One that cannot be read is an error
    /// naming the field (JSON checked by StrictJSON first: line and column, no field twice).
    public static func load(_ path: String) throws(PithError) -> Manifest? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let bytes = try FileBytes.read(path, limit: FileBytes.Limit.manifest)
        let advice = "; remove it to run every stage again"
        do { _ = try StrictJSON.parse(bytes) } catch {
            throw .badFile(path: path, problem: "not valid JSON (\(error))\(advice)")
        }
        do { return try JSONDecoder().decode(Manifest.self, from: Data(bytes)) } catch {
            throw .badFile(path: path, problem: describe(error) + advice)
        }
    }

    public func write(to path: String) throws(PithError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(self) } catch { throw .cannotWrite(path: path, problem: Self.describe(error)) }
        try AtomicFile.write([UInt8](data) + [10], to: path)
    }

    /// A Codable error in one line naming the field ("field 'stages[0].status' is missing").
    public static func describe(_ error: Error) -> String {
        func field(_ path: [CodingKey]) -> String {
            let name = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return name.isEmpty ? "the top level" : "field '\(name.hasPrefix(".") ? String(name.dropFirst()) : name)'"
        }
        switch error {
        case let DecodingError.keyNotFound(key, c): return "\(field(c.codingPath + [key])) is missing"
        case let DecodingError.typeMismatch(type, c): return "\(field(c.codingPath)) is not of type \(type)"
        case let DecodingError.valueNotFound(type, c): return "\(field(c.codingPath)) is null, not of type \(type)"
        case let DecodingError.dataCorrupted(c): return "\(field(c.codingPath)): \(c.debugDescription)"
        case let EncodingError.invalidValue(value, c): return "\(field(c.codingPath)): the value \(value) cannot be written as JSON"
        default: return "cannot be encoded or decoded"
        }
    }

    public func stage(_ name: String) -> StageRecord? { stages.first { $0.name == name } }

    public mutating func record(_ record: StageRecord) {
        if let i = stages.firstIndex(where: { $0.name == record.name }) { stages[i] = record } else { stages.append(record) }
    }

    /// The artifact at `path` now, or nil when the file is missing.
    public static func artifact(_ path: String, relativeTo folder: String) throws(PithError) -> Artifact? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let bytes = try FileBytes.read(path, limit: FileBytes.Limit.checkpoint)
        let relative = path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1))
            : URL(fileURLWithPath: path).standardizedFileURL.path
        return Artifact(path: relative, bytes: bytes.count, xxh64: hex(XXH64.hash(bytes)))
    }

    /// True when every artifact of `record` is on disk with the recorded hash.
    public static func artifactsIntact(_ record: StageRecord, folder: String) -> Bool {
        !record.artifacts.isEmpty && record.artifacts.allSatisfy { a in
            let path = a.path.hasPrefix("/") ? a.path : folder + "/" + a.path
            return (try? artifact(path, relativeTo: folder)) == a
        }
    }
}
