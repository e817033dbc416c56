import Foundation
import PithIO
import PithNN

/// The run stage: the standalone executable on the test split, handed over losslessly
/// (float32 IDX, the values the runtime is given), its predictions read from its `--json`
/// output and compared with PithRuntime's, sample by sample.
public enum ExecutableRun {
    /// The test split as files the executable reads: inputs as IDX float32 (type 0x0D,
    /// big-endian, dimensions N × sample shape), labels as text, one class number per line.
    public static func writeTestSplit(_ data: Dataset, inputs: String, labels: String) throws(PithError) {
        try AtomicFile.write(IDX.encode(shape: [data.count] + data.sampleShape, float32: data.features), to: inputs)
        try AtomicFile.write(Array(data.labels.map { "\($0)\n" }.joined().utf8), to: labels)
    }

    /// Runs `exe` on `inputs` (with `--json`), scores its predictions against `test`'s labels
    /// and compares them with `runtime` (PithRuntime's class per sample); the batch-1 latency
    /// from its `--bench --json`. A disagreement is recorded in `Figures.disagreement`.
    public static func figures(_ exe: String, inputs: String, test: Dataset, runtime: [Int]) throws -> Manifest.Figures {
        let predicted = try predictions(exe, inputs: inputs, count: test.count)
        let errors = zip(predicted, test.labels).filter { $0 != Int($1) }.count
        let differing = zip(predicted, runtime).enumerated().filter { $0.element.0 != $0.element.1 }
        let disagreement = differing.first.map { first in
            "\(differing.count) of \(test.count) test samples classified differently (first: sample \(first.offset), runtime class \(first.element.1), executable class \(first.element.0))"
        }
        let bench = try StageTable.execute(exe, [inputs, "--bench", "--runs", "20000", "--json"])
        var p50: Double? = nil
        if case let .object(o)? = try? StrictJSON.parse(Array(bench.utf8)), case let .object(l)? = o["latency_us"], case let .number(v)? = l["p50"] { p50 = v }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: exe)[.size] as? Int) ?? nil
        var figures = Manifest.Figures(testAccuracy: Double(test.count - errors) / Double(test.count), testErrors: errors, testCount: test.count,
                                       bytes: bytes, latencyMicroseconds: p50, note: "empty environment, empty folder")
        figures.disagreement = disagreement
        return figures
    }

    /// The class `exe` prints for each sample of `inputs`, from its `--json` output (an array
    /// of objects whose `index` is the class number); exactly `count` of them.
    static func predictions(_ exe: String, inputs: String, count: Int) throws -> [Int] {
        let text = try StageTable.execute(exe, [inputs, "--json"])
        func bad(_ problem: String) -> PithError { .mismatch("\(exe) --json: \(problem)") }
        let parsed: JSONValue
        do { parsed = try StrictJSON.parse(Array(text.utf8)) } catch { throw bad("not valid JSON (\(error))") }
        guard case let .array(items) = parsed else { throw bad("not a JSON array of predictions") }
        guard items.count == count else { throw bad("\(items.count) predictions for \(count) test samples") }
        return try items.enumerated().map { i, item throws(PithError) in
            guard case let .object(o) = item, case let .number(n)? = o["index"], let c = Int(exactly: n), c >= 0 else {
                throw bad("prediction \(i) has no class number 'index'")
            }
            return c
        }
    }
}
