import ArgumentParser
import Foundation
import PithDistill
import PithFormat
import PithNN
import PithQuant
import PithRuntime

/// `pith demo`: the whole pipeline on the built-in digits set — train a teacher, distil a
/// student, quantize it to an int8 `.pith` file, build a standalone executable with the
/// model inside, run that executable on the test split — and one table: test accuracy,
/// size and latency per image at every stage.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the whole pipeline on the built-in digits data set.")

    @Option(name: .customLong("models-dir"), help: "Folder of model descriptions.")
    var modelsDirectory = "models"

    @Option(help: "Folder for the demo's outputs.")
    var output = "runs/demo"

    @Option(help: "Threads for BLAS and Pith's own loops.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    struct Row {
        var stage: String
        var accuracy: Double
        var errors: Int
        var bytes: Int
        var microseconds: Double
        var note: String
    }

    func run() throws {
        let started = Date()
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var options = try DataOptions.parse(["--threads", String(max(1, threads))])
        options.data = "digits"
        let splits = try options.load()
        print("pith demo: the UCI digits set (\(splits.train.count) train, \(splits.validation.count) validation, \(splits.test.count) test images of 8x8)")
        var rows: [Row] = []

        // 1. Teacher.
        let teacherDescription = try ModelFiles.load("digits-teacher", modelsDirectory: modelsDirectory)
        var recipe = try TrainingOptions.parse(["--epochs", "40", "--batch-size", "32", "--schedule", "cosine"])
        let teacherPath = output + "/teacher.ckpt"
        let teacher = try Trainer(config: recipe.config(model: teacherDescription, data: "digits"), description: teacherDescription, splits: splits)
        print("1/5 training \(teacherDescription.name) (\(teacherDescription.parameterCount) parameters)")
        try runWithProgress(teacher, checkpoint: teacherPath)
        rows.append(Self.floatRow("teacher (float32)", teacher.model, splits.test, note: teacherPath))

        // 2. Student, distilled from the teacher.
        let studentDescription = try ModelFiles.load("digits-student", modelsDirectory: modelsDirectory)
        recipe.epochs = 60
        recipe.lr = 3e-3
        var config = recipe.config(model: studentDescription, data: "digits")
        let distillation = DistillationConfig(teachers: [teacherPath], teacherHashes: [hex(XXH64.hash(try FileBytes.read(teacherPath)))],
                                              temperature: 4, alpha: 0.5, cacheLogits: true)
        config.distillation = distillation
        let objective = try DistillationObjective(student: studentDescription, teachers: [teacher.model], config: distillation, seed: config.seed)
        objective.teachers.cacheSoftTargets(splits.train, shape: teacherDescription.inputShape)
        let studentPath = output + "/student.ckpt"
        let student = try Trainer(config: config, description: studentDescription, splits: splits, objective: objective)
        print("2/5 distilling into \(studentDescription.name) (\(studentDescription.parameterCount) parameters, T = 4, α = 0.5, Adam 3e-3)")
        try runWithProgress(student, checkpoint: studentPath)
        rows.append(Self.floatRow("student (float32, distilled)", student.model, splits.test, note: studentPath))

        // 3. Quantize and pack: the fully integer model in a .pith file.
        print("3/5 quantizing and packing")
        let ckpt = try Checkpoint(path: studentPath)
        var metadata = try exportMetadata(checkpoint: studentPath, ckpt: ckpt, description: studentDescription, dataName: "digits")
        metadata["quantization.method"] = .string("minmax, \(splits.train.count) training images")
        let pithPath = output + "/student.pith"
        var pith = try PostTrainingQuantizer.quantize(student.model, calibration: splits.train, metadata: metadata)
        let encoded = try PithWriter.encode(pith).bytes
        pith.metadata["provenance.accuracy.int8"] = .double(try Quantize.accuracy(of: try PithFile(bytes: encoded), on: splits.validation))
        do { try PithWriter.write(pith, to: pithPath) } catch { throw PithError.cannotWrite(path: pithPath, problem: error.description) }
        let file = try FormatFiles.open(pithPath)
        let int8Accuracy = try Quantize.accuracy(of: file, on: splits.test)
        rows.append(Row(stage: "student int8 (.pith, PithRuntime)", accuracy: int8Accuracy, errors: Int((1 - int8Accuracy) * Double(splits.test.count) + 0.5),
                        bytes: Int(file.header.fileSize), microseconds: try Self.runtimeLatency(file, splits.test), note: pithPath))

        // 4. Build the standalone executable; 5. run it on the test split.
        print("4/5 building the standalone executable")
        let exe = output + "/classifier"
        let (exeSize, runner, _, _) = try Build.make(model: pithPath, output: exe, runner: nil)
        let images = output + "/test-images.idx", labels = output + "/test-labels.idx"
        try Self.writeIDX(splits.test, images: images, labels: labels, levels: 16)
        print("5/5 running \(exe) on the \(splits.test.count) test images")
        let run = try Self.execute(exe, [images, "--labels", labels])
        guard let line = run.split(separator: "\n").last(where: { $0.hasPrefix("accuracy ") }),
              let errors = Int(line.split(separator: "(")[1].split(separator: " ")[0]) else {
            throw PithError.mismatch("\(exe) did not report its accuracy:\n\(run)")
        }
        let bench = try Self.execute(exe, [images, "--bench", "--runs", "20000", "--json"])
        let p50 = bench.split(separator: "\"p50\":").dropFirst().first.flatMap { Double($0.prefix { $0 != "," }) } ?? .nan
        let standaloneAccuracy = Double(splits.test.count - errors) / Double(splits.test.count)
        rows.append(Row(stage: "standalone executable", accuracy: standaloneAccuracy, errors: errors, bytes: exeSize, microseconds: p50,
                        note: "\(exe) (runner \((runner as NSString).lastPathComponent == "pith-run" && runner.contains(".build-static") ? "static" : "dynamic"))"))

        print("")
        print(Self.table(rows, testCount: splits.test.count))
        print(String(format: "\nfinished in %.1f s; outputs in %@", Date().timeIntervalSince(started), output))
    }

    static func floatRow(_ stage: String, _ model: Model, _ test: Dataset, note: String) -> Row {
        let e = Evaluation(model: model, data: test)
        // Latency: one image at a time through the training framework's forward pass.
        let n = min(test.count, 200)
        let clock = ContinuousClock()
        let t0 = clock.now
        for i in 0..<n { _ = model.predict(test.batch([i][...]).x) }
        let us = seconds(clock.now - t0) * 1e6 / Double(n)
        return Row(stage: stage, accuracy: e.accuracy, errors: e.errors, bytes: model.parameters.reduce(0) { $0 + $1.count * 4 }, microseconds: us, note: note)
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

    /// The test split as IDX files: images as bytes (value × levels), labels.
    static func writeIDX(_ data: Dataset, images: String, labels: String, levels: Float) throws {
        var header: [UInt8] = [0, 0, 8, UInt8(1 + data.sampleShape.count)]
        for d in [data.count] + data.sampleShape { header += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        try AtomicFile.write(header + data.features.map { UInt8(max(0, min(255, ($0 * levels).rounded()))) }, to: images)
        let n = data.count
        try AtomicFile.write([0, 0, 8, 1, UInt8(n >> 24 & 255), UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)] + data.labels.map { UInt8($0) }, to: labels)
    }

    /// Runs a program with an empty environment from an empty folder; its standard output.
    static func execute(_ path: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path).standardizedFileURL.absoluteURL
        p.arguments = arguments.map { FileManager.default.fileExists(atPath: $0) ? URL(fileURLWithPath: $0).standardizedFileURL.path : $0 }
        p.environment = [:]
        let empty = NSTemporaryDirectory() + "pith-demo-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        p.currentDirectoryURL = URL(fileURLWithPath: empty)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw PithError.mismatch("\(path) failed (\(p.terminationStatus)): \(String(decoding: e, as: UTF8.self))")
        }
        return String(decoding: o, as: UTF8.self)
    }

    static func table(_ rows: [Row], testCount: Int) -> String {
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
