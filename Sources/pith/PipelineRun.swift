import ArgumentParser
import Foundation
import PithFormat
import PithNN
import PithRuntime
import PithTensor

/// One execution of a recipe: checks the inputs, then runs or skips each stage in order.
final class PipelineRun {
    let recipe: Recipe
    let output: String
    let modelsDirectory: String
    let mnistDirectory: String
    let threads: Int
    let runner: String?
    let force: Bool
    let stopAfter: Int?
    var manifest: Manifest
    var manifestPath: String { output + "/manifest.json" }
    let clock = ContinuousClock()

    init(recipe: Recipe, output: String, modelsDirectory: String, mnistDirectory: String?, threads: Int,
         runner: String?, force: Bool, stopAfter: Int?) throws(PithError) {
        self.recipe = recipe
        self.output = output.hasSuffix("/") && output.count > 1 ? String(output.dropLast()) : output
        self.modelsDirectory = modelsDirectory
        self.mnistDirectory = mnistDirectory ?? recipe.mnistDirectory ?? DataSource.defaultMNISTDirectory
        self.threads = threads
        self.runner = runner
        self.force = force
        self.stopAfter = stopAfter
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: self.output, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw .cannotWrite(path: self.output, problem: "is a file, not a folder; the pipeline's output (--output) must be a folder")
        }
        let recipeHash = hex(XXH64.hash(recipe.bytes))
        manifest = try Manifest.load(self.output + "/manifest.json") ?? Manifest(recipe: recipe.path, recipeXXH64: recipeHash)
        manifest.recipe = recipe.path
        manifest.recipeXXH64 = recipeHash
    }

    var teacherPath: String { recipe.teacher.checkpoint ?? output + "/teacher.ckpt" }
    var studentPath: String { output + "/student.ckpt" }
    var pithPath: String { output + "/model.pith" }
    var executablePath: String { output + "/classifier" }

    /// Runs every stage; false when --stop-after stopped a training stage early.
    func execute() throws -> Bool {
        // Everything the recipe names is checked before the first stage runs.
        let teacherModel = try recipe.teacher.model.map { m throws(PithError) in try ModelFiles.load(m, modelsDirectory: modelsDirectory) }
        if let given = recipe.teacher.checkpoint { _ = try Checkpoint(path: given) }
        let studentModel = try recipe.student.map { s throws(PithError) in try ModelFiles.load(s.model ?? "", modelsDirectory: modelsDirectory) }
        // Every stage's options, as its command would parse them (placeholders for files not made yet).
        if let model = recipe.teacher.model { _ = try Self.parse(Train.self, [model, "-o", "x"] + recipe.teacher.arguments, stage: "teacher", recipe: recipe) }
        if let student = recipe.student {
            _ = try Self.parse(Distill.self, ["--teacher", "x", "--student", student.model ?? "", "-o", "x"] + student.arguments, stage: "student", recipe: recipe)
        }
        _ = try Self.parse(Quantize.self, ["x", "-o", "x"] + recipe.quantize, stage: "quantize", recipe: recipe)
        try refuseOutputOnInput()
        let source = try DataSource.named(recipe.data, mnistDirectory: mnistDirectory)
        Threads.set(threads)
        let splits = try source.load()
        do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
            let posix = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError).map { String(cString: strerror(Int32($0.code))) }
            throw PithError.cannotWrite(path: output, problem: "the folder cannot be created" + (posix.map { " (\($0))" } ?? ""))
        }
        let data = Self.fingerprint(splits)
        print("pipeline \(recipe.name) (\(recipe.path)) → \(output): \(source.label), \(splits.train.count) train, \(splits.validation.count) validation, \(splits.test.count) test samples")
        // Where the data lives and how many threads run are not inputs: the samples' hash is.
        let local = ["--mnist-dir", mnistDirectory, "--threads", String(threads)]

        // 1. Teacher: trained, or the checkpoint the recipe names.
        if let given = recipe.teacher.checkpoint {
            let hash = try Manifest.artifact(given, relativeTo: output)!.xxh64
            try stage("teacher", inputs: ["checkpoint", hash, data], command: ["(given)", given], outputs: [given]) { _ throws in
                try Self.floatFigures(checkpoint: given, test: splits.test)
            }
        } else {
            let model = recipe.teacher.model!
            let keyed = ["train", model, "--seed", String(recipe.seed), "--data", recipe.data] + recipe.teacher.arguments
            let args = keyed + ["-o", teacherPath + ".partial", "--models-dir", modelsDirectory] + local
            try stage("teacher", inputs: keyed + [teacherModel!.text, data], command: args, outputs: [teacherPath], resumable: true) { resume throws in
                try Self.invoke(Train.self, args + (resume ? ["--resume"] : []) + (stopAfter.map { ["--stop-after", String($0)] } ?? []), stage: "teacher", recipe: recipe)
                return try Self.floatFigures(checkpoint: teacherPath + ".partial", test: splits.test)
            }
            if manifest.stage("teacher")?.status != "done" { return false }
        }

        // 2. Student, distilled from the teacher.
        var quantizeFrom = teacherPath
        if let student = recipe.student, let studentModel {
            let teacherHash = manifest.stage("teacher")!.artifacts[0].xxh64
            let keyed = ["distill", "--teacher", teacherPath, "--student", student.model!,
                         "--seed", String(recipe.seed), "--data", recipe.data] + student.arguments
            let args = keyed + ["-o", studentPath + ".partial", "--models-dir", modelsDirectory] + local
            try stage("student", inputs: keyed + [studentModel.text, teacherHash, data], command: args, outputs: [studentPath], resumable: true) { resume throws in
                let resumed = ["distill", "-o", studentPath + ".partial", "--resume", "--data", recipe.data] + local
                try Self.invoke(Distill.self, (resume ? resumed : args) + (stopAfter.map { ["--stop-after", String($0)] } ?? []), stage: "student", recipe: recipe)
                return try Self.floatFigures(checkpoint: studentPath + ".partial", test: splits.test)
            }
            if manifest.stage("student")?.status != "done" { return false }
            quantizeFrom = studentPath
        }

        // 3. Quantize to the int8 .pith file.
        let sourceHash = manifest.stage(recipe.student != nil ? "student" : "teacher")!.artifacts[0].xxh64
        let quantizeArgs = ["quantize", quantizeFrom, "-o", pithPath] + recipe.quantize
        try stage("quantize", inputs: quantizeArgs + [sourceHash, data], command: quantizeArgs, outputs: [pithPath]) { _ throws in
            // The per-layer and per-tensor tables go to quantize.log; the accuracy line is shown.
            let log = output + "/quantize.log"
            try Self.writingStandardOutput(to: log) {
                try Self.invoke(Quantize.self, quantizeArgs + ["--mnist-dir", mnistDirectory], stage: "quantize", recipe: recipe)
            }
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") where line.hasPrefix("validation accuracy") || line.hasPrefix("wrote ") { print("  " + line) }
            print("  per-layer and per-tensor tables: \(log)")
            return try Self.int8Figures(pithPath, test: splits.test)
        }

        // 4. Build the standalone executable.
        let runnerPath = runner ?? Build.defaultRunner()
        let pithHash = manifest.stage("quantize")!.artifacts[0].xxh64
        let runnerHash = (try? FileBytes.read(runnerPath, limit: FileBytes.Limit.executable)).map { hex(XXH64.hash($0)) } ?? "missing"
        try stage("build", inputs: [pithHash, runnerHash], command: ["build", pithPath, "-o", executablePath, "--runner", runnerPath], outputs: [executablePath]) { _ throws in
            let (size, _, _, _) = try Build.make(model: pithPath, output: executablePath, runner: runnerPath)
            return Manifest.Figures(bytes: size, note: "runner \(runnerPath)")
        }

        // 5. Run the executable on the test split, from an empty folder with an empty environment.
        let exeHash = manifest.stage("build")!.artifacts[0].xxh64
        let images = output + "/test-images.idx", labels = output + "/test-labels.idx"
        try stage("run", inputs: [exeHash, data], command: [executablePath, images, "--labels", labels], outputs: [images, labels]) { _ throws in
            try Self.writeIDX(splits.test, images: images, labels: labels, levels: recipe.data == "digits" ? 16 : 255)
            return try Self.standaloneFigures(executablePath, images: images, labels: labels)
        }

        // 6. The report.
        let allHashes = manifest.stages.filter { $0.name != "report" }.flatMap { $0.artifacts.map(\.xxh64) }
        let reportPath = output + "/report.html"
        try stage("report", inputs: allHashes + [data], command: ["report", reportPath], outputs: [reportPath]) { _ throws in
            let html = try HTMLReport(run: self, splits: splits).html()
            try AtomicFile.write(Array(html.utf8), to: reportPath)
            return Manifest.Figures(bytes: html.utf8.count)
        }
        return true
    }

    /// Refuses an output folder where a file the pipeline writes is one the recipe reads (its
    /// given teacher checkpoint as `student.ckpt`, the recipe itself as `report.html`, ...).
    func refuseOutputOnInput() throws(PithError) {
        var inputs = [OutputPath.File("the recipe", recipe.path)] + OutputPath.dataInputs(recipe.data, mnistDirectory: mnistDirectory)
        var written = [studentPath, pithPath, output + "/quantize.log", executablePath, output + "/test-images.idx",
                       output + "/test-labels.idx", output + "/report.html", manifestPath]
        if let given = recipe.teacher.checkpoint { inputs.append(.init("the recipe's teacher checkpoint", given)) } else { written.append(teacherPath) }
        for (role, model) in [("the teacher's model description", recipe.teacher.model), ("the student's model description", recipe.student?.model)] {
            if let model, let path = try? ModelFiles.find(model, modelsDirectory: modelsDirectory, extension: "model", kind: "model") { inputs.append(.init(role, path)) }
        }
        inputs.append(.init("the runner", runner ?? Build.defaultRunner()))
        let outputs = written.flatMap { [$0, $0 + ".partial"] }.map { OutputPath.File("the output", $0) }
        try OutputPath.refuseSameFile("pipeline", outputs: outputs, inputs: inputs)
    }

    /// Runs or skips one stage, recording it in the manifest before (as running) and after.
    /// A resumable (training) stage writes `OUTPUT.partial` and renames it to its output when
    /// its last epoch is done, so the previous output stays whole until then; a run that stops
    /// early stays "running", and the next run with the same inputs resumes the partial file.
    func stage(_ name: String, inputs: [String], command: [String], outputs: [String], resumable: Bool = false,
                        _ body: (_ resume: Bool) throws -> Manifest.Figures) throws {
        let key = hex(XXH64.hash(Array(([name] + inputs).joined(separator: "\u{1f}").utf8)))
        let old = manifest.stage(name)
        if !force, let old, old.inputs == key, old.status == "done", Manifest.artifactsIntact(old, folder: output) {
            print("\(name): unchanged, skipped")
            return
        }
        let partial = outputs[0] + ".partial"
        let resume = resumable && !force && old?.inputs == key && old?.status == "running" && FileManager.default.fileExists(atPath: partial)
        var record = Manifest.StageRecord(name: name, inputs: key, status: "running", command: command)
        manifest.record(record)
        try manifest.write(to: manifestPath)
        print("\(name): \(resume ? "resuming" : "running") \(command.joined(separator: " "))")
        let t0 = clock.now
        record.figures = try body(resume)
        record.seconds = (resume ? old!.seconds : 0) + seconds(clock.now - t0)
        if resumable {
            guard try Self.finished(partial) else {
                manifest.record(record)  // still running: the next run resumes
                try manifest.write(to: manifestPath)
                return
            }
            guard rename(partial, outputs[0]) == 0 else { throw PithError.cannotWrite(path: outputs[0], problem: String(cString: strerror(errno))) }
        }
        for path in outputs {
            guard let artifact = try Manifest.artifact(path, relativeTo: output) else { throw PithError.mismatch("stage \(name) did not write \(path)") }
            record.artifacts.append(artifact)
        }
        record.status = "done"
        record.finished = ISO8601DateFormatter().string(from: Date())
        manifest.record(record)
        try manifest.write(to: manifestPath)
    }

    /// Parses and runs a subcommand; option errors name the recipe and the stage.
    static func invoke<C: ParsableCommand>(_ command: C.Type, _ arguments: [String], stage: String, recipe: Recipe) throws {
        var parsed = try parse(C.self, Array(arguments.dropFirst()), stage: stage, recipe: recipe)
        try parsed.run()
    }

    /// The command `C` parsed (and validated) from `arguments`; errors name the recipe and stage.
    static func parse<C: ParsableCommand>(_ command: C.Type, _ arguments: [String], stage: String, recipe: Recipe) throws -> C {
        do { return try C.parse(arguments) } catch {
            throw PithError.badFile(path: recipe.path, problem: "\(stage): \(C.message(for: error))")
        }
    }

    /// Runs `body` with standard output going to the file at `path` (created or truncated);
    /// a write to it that fails (a full disk) is an error naming the file.
    static func writingStandardOutput(to path: String, _ body: () throws -> Void) throws {
        StandardOutput.flush()  // what was printed before goes to the real standard output
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw PithError.cannotWrite(path: path, problem: String(cString: strerror(errno))) }
        let saved = dup(1)
        dup2(fd, 1)
        close(fd)
        let result = Result { try body() }
        let failed = fflush(nil) != 0 ? errno : nil
        dup2(saved, 1)
        close(saved)
        try result.get()
        if let failed { throw PithError.cannotWrite(path: path, problem: String(cString: strerror(failed))) }
    }

    static func finished(_ checkpoint: String) throws(PithError) -> Bool {
        let c = try Checkpoint(path: checkpoint)
        return c.epochsDone >= c.config.epochs
    }

    /// A hash of the samples themselves, so that the same data under another path is the same input.
    static func fingerprint(_ splits: DataSplits) -> String {
        var h: UInt64 = 0
        for d in [splits.train, splits.validation, splits.test] {
            h = d.features.withUnsafeBytes { XXH64.hash($0, seed: h) }
            h = d.labels.withUnsafeBytes { XXH64.hash($0, seed: h) }
        }
        return hex(h)
    }

    static func floatFigures(checkpoint: String, test: Dataset) throws -> Manifest.Figures {
        let model = try Checkpoint(path: checkpoint).model(path: checkpoint)
        model.fakeQuantization = nil
        let e = Evaluation(model: model, data: test)
        return Manifest.Figures(testAccuracy: e.accuracy, testErrors: e.errors, testCount: test.count, bytes: model.parameters.reduce(0) { $0 + $1.count * 4 },
                                parameters: model.description.parameterCount, latencyMicroseconds: StageTable.floatLatency(model, test))
    }

    /// The runtime's accuracy, confusion matrix and batch-1 latency on the test split.
    static func int8Figures(_ path: String, test: Dataset) throws -> Manifest.Figures {
        let file = try FormatFiles.open(path)
        let predictions = try Quantize.predictions(of: file, on: test)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: test.classes), count: test.classes)
        for (p, y) in zip(predictions, test.labels) { confusion[Int(y)][p] += 1 }
        let errors = zip(predictions, test.labels).filter { $0 != Int($1) }.count
        return Manifest.Figures(testAccuracy: Double(test.count - errors) / Double(test.count), testErrors: errors, testCount: test.count,
                                bytes: Int(file.header.fileSize), latencyMicroseconds: try StageTable.runtimeLatency(file, test), confusion: confusion)
    }

    static func standaloneFigures(_ exe: String, images: String, labels: String) throws -> Manifest.Figures {
        let run = try StageTable.execute(exe, [images, "--labels", labels])
        guard let line = run.split(separator: "\n").last(where: { $0.hasPrefix("accuracy ") }),
              let errors = line.split(separator: "(").dropFirst().first.flatMap({ Int($0.prefix { $0.isNumber }) }),
              let count = Int(line.split(separator: " of ").last?.prefix { $0.isNumber } ?? ""), count > 0, errors <= count else {
            throw PithError.mismatch("\(exe) did not report its accuracy (its last line: '\(run.split(separator: "\n").last ?? "")')")
        }
        let bench = try StageTable.execute(exe, [images, "--bench", "--runs", "20000", "--json"])
        let p50 = bench.split(separator: "\"p50\":").dropFirst().first.flatMap { Double($0.prefix { $0 != "," }) }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: exe)[.size] as? Int) ?? nil
        return Manifest.Figures(testAccuracy: Double(count - errors) / Double(count), testErrors: errors, testCount: count, bytes: bytes, latencyMicroseconds: p50,
                                note: "empty environment, empty folder")
    }

    /// The test split as IDX files: images as bytes (value × levels), labels.
    static func writeIDX(_ data: Dataset, images: String, labels: String, levels: Float) throws(PithError) {
        var header: [UInt8] = [0, 0, 8, UInt8(1 + data.sampleShape.count)]
        for d in [data.count] + data.sampleShape { header += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        try AtomicFile.write(header + data.features.map { UInt8(max(0, min(255, ($0 * levels).rounded()))) }, to: images)
        let n = data.count
        try AtomicFile.write([0, 0, 8, 1, UInt8(n >> 24 & 255), UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)] + data.labels.map { UInt8($0) }, to: labels)
    }

    /// One row per stage: test accuracy, size in bytes, latency per image.
    func table() -> String {
        let names = ["teacher": "teacher (float32)", "student": "student (float32, distilled)", "quantize": "student int8 (.pith, PithRuntime)", "run": "standalone executable"]
        var rows: [StageTable.Row] = []
        for s in manifest.stages {
            guard let title = names[s.name], let accuracy = s.figures.testAccuracy else { continue }
            let bytes = s.name == "run" ? manifest.stage("build")?.figures.bytes ?? 0 : s.figures.bytes ?? 0
            rows.append(StageTable.Row(stage: title, accuracy: accuracy, errors: s.figures.testErrors ?? 0, bytes: bytes,
                                       microseconds: s.figures.latencyMicroseconds ?? .nan))
        }
        return StageTable.table(rows)
    }
}
