import Foundation
import PithFormat
import PithNN
import PithRuntime

/// What the pipeline measures at each stage, and the table it prints: test accuracy,
/// size in bytes and batch-1 latency per stage.
public enum StageTable {
    struct Row {
        var stage: String
        var accuracy: Double
        var errors: Int
        var bytes: Int
        var microseconds: Double
    }

    /// Mean batch-1 latency of the training framework's forward pass, over the first 200 test images.
    static func floatLatency(_ model: Model, _ test: Dataset) -> Double {
        let n = min(test.count, 200)
        let clock = ContinuousClock()
        let t0 = clock.now
        for i in 0..<n { _ = model.predict(test.batch([i][...]).x) }
        return seconds(clock.now - t0) * 1e6 / Double(n)
    }

    /// Median batch-1 latency of the runtime on the test images.
    static func runtimeLatency(_ file: PithFile, _ test: Dataset) throws -> Double {
        let runner = try Interpreter(file: file, maxBatch: 1)
        var times: [Double] = []
        let clock = ContinuousClock()
        for r in 0..<3000 {
            let x = test.batch([r % test.count][...]).x.scalars
            let t0 = clock.now
            _ = try runner.run(x, batch: 1)
            times.append(seconds(clock.now - t0) * 1e6)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// Runs a program with an empty environment from an empty folder; its standard output.
    static func execute(_ path: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path).standardizedFileURL.absoluteURL
        p.arguments = arguments.map { FileManager.default.fileExists(atPath: $0) ? URL(fileURLWithPath: $0).standardizedFileURL.path : $0 }
        p.environment = [:]
        let empty = NSTemporaryDirectory() + "pith-demo-" + UUID().uuidString
        do { try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true) } catch {
            throw PithError.cannotWrite(path: empty, problem: "cannot create the empty folder to run \(path) in")
        }
        defer { try? FileManager.default.removeItem(atPath: empty) }
        p.currentDirectoryURL = URL(fileURLWithPath: empty)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { throw PithError.badFile(path: path, problem: "cannot be run") }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationReason == .exit && p.terminationStatus == 0 else {
            // One line: the program's first line of error output.
            let said = String(decoding: e, as: UTF8.self).split(separator: "\n").first.map { ": \($0)" } ?? ""
            let how = p.terminationReason == .exit ? "exit status \(p.terminationStatus)" : "killed by signal \(p.terminationStatus)"
            throw PithError.mismatch("\(path) failed (\(how))\(said)")
        }
        return String(decoding: o, as: UTF8.self)
    }

    static func table(_ rows: [Row]) -> String {
        func pad(_ s: String, _ n: Int, right: Bool = false) -> String {
            s.count >= n ? s : (right ? String(repeating: " ", count: n - s.count) + s : s + String(repeating: " ", count: n - s.count))
        }
        var lines = [pad("stage", 36) + pad("test accuracy", 24, right: true) + pad("size (bytes)", 14, right: true) + pad("latency/image", 16, right: true)]
        for r in rows {
            lines.append(pad(r.stage, 36) + pad(String(format: "%.2f%% (%d errors)", r.accuracy * 100, r.errors), 24, right: true)
                         + pad(String(r.bytes), 14, right: true) + pad(String(format: "%.1f µs", r.microseconds), 16, right: true))
        }
        lines.append("(float32 sizes: the weights alone; latencies: batch 1, the float models through the training framework, int8 through PithRuntime)")
        return lines.joined(separator: "\n")
    }
}
