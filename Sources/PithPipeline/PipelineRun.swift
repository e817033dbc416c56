import PithIO
import Foundation
import PithFormat
import PithNN
import PithONNX
import PithRuntime
import PithTensor

/// One execution of a recipe: checks the inputs, then runs or skips each stage in order.
/// Every stage is a typed call (`TrainStage`, `DistillStage`, `QuantizeStage`, `BuildStage`,
/// `ExecutableRun`) with settings the recipe's keys set; no command line is built and no
/// output is captured. The standalone executable's predictions are read from its `--json`
/// output and compared with the runtime's, sample by sample: any disagreement fails the run
/// (after the report, which shows it in a banner).
public final class PipelineRun {
    public let recipe: Recipe
    public let output: String
    let modelsDirectory: String
    let mnistDirectory: String
    let threads: Int
    let runner: String?
    let force: Bool
    let stopAfter: Int?
    public private(set) var manifest: Manifest
    public var manifestPath: String { output + "/manifest.json" }
    let clock = ContinuousClock()

    public init(recipe: Recipe, output: String, modelsDirectory: String, mnistDirectory: String?, threads: Int,
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

    public var teacherPath: String { recipe.teacher.checkpoint.map { resolved($0) } ?? output + "/teacher.ckpt" }
    public var studentPath: String { output + "/student.ckpt" }
    public var pithPath: String { output + "/model.pith" }
    public var executablePath: String { output + "/classifier" }
    public var reportPath: String { output + "/report.html" }
    var testInputsPath: String { output + "/test-inputs.idx" }
    var testLabelsPath: String { output + "/test-labels.txt" }

    /// The recipe's data set, its files resolved beside the recipe first.
    var dataSpec: DataSpec {
        var spec = recipe.dataSpec
        spec.name = resolved(spec.name)
        spec.validation = spec.validation.map(resolved)
        spec.test = spec.test.map(resolved)
        return spec
    }

    /// A path the recipe names, relative to the recipe's folder when it is a file there.
    func resolved(_ path: String) -> String {
        guard let folder = recipe.folder, !path.hasPrefix("/"), FileManager.default.fileExists(atPath: folder + "/" + path) else { return path }
        return folder + "/" + path
    }

    /// Runs every stage; false when --stop-after stopped a training stage early. Throws when
    /// the standalone executable and the runtime disagree on any test sample.
    public func execute() throws -> Bool {
        // Everything the recipe names is checked before the first stage runs.
        let teacherModel = try recipe.teacher.model.map { m throws(PithError) in try ModelFiles.load(m, modelsDirectory: modelsDirectory, relativeTo: recipe.folder) }
        if recipe.teacher.checkpoint != nil { _ = try ONNXImport.checkpointOrONNX(path: teacherPath, data: dataSpec.name) }
        let studentModel = try recipe.student.map { s throws(PithError) in try ModelFiles.load(s.model ?? "", modelsDirectory: modelsDirectory, relativeTo: recipe.folder) }
        let (teacherTraining, teacherQAT) = try recipe.teacherSettings()
        let studentSettings = try recipe.studentSettings()
        let quantizeSettings = try recipe.quantizeSettings()
        try refuseOutputOnInput()
        let source = try dataSpec.source(mnistDirectory: mnistDirectory)
        Threads.set(threads)
        let splits = try source.load()
        do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
            let posix = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError).map { String(cString: strerror(Int32($0.code))) }
            throw PithError.cannotWrite(path: output, problem: "the folder cannot be created" + (posix.map { " (\($0))" } ?? ""))
        }
        let data = Self.fingerprint(splits)
        print("pipeline \(recipe.name) (\(recipe.path)) → \(output): \(source.label), \(splits.train.count) train, \(splits.validation.count) validation, \(splits.test.count) test samples")

        // 1. Teacher: trained, or the checkpoint the recipe names.
        if recipe.teacher.checkpoint != nil {
            let given = teacherPath
            let hash = try Manifest.artifact(given, relativeTo: output)!.xxh64
            try stage("teacher", inputs: ["checkpoint", hash, data], command: ["(given)", given], outputs: [given]) { _ throws in
                try Self.floatFigures(checkpoint: given, test: splits.test, data: self.dataSpec.name)
            }
        } else {
            let model = recipe.teacher.model!
            let command = ["pith", "train", model, "--data=\(recipe.data)", "--seed=\(recipe.seed)"] + recipe.teacher.arguments + ["-o", teacherPath]
            let partial = teacherPath + ".partial"
            try stage("teacher", inputs: ["train", "\(teacherTraining)", "\(teacherQAT)", "\(dataSpec)", teacherModel!.text, data],
                      command: command, outputs: [teacherPath], resumable: true) { resume throws in
                let request = TrainStage.Request(start: resume ? .resume : .fresh(teacherModel!), training: teacherTraining, qat: teacherQAT,
                                                 data: dataSpec, output: partial, stopAfter: stopAfter)
                _ = try TrainStage.run(request, splits: splits)
                return try Self.floatFigures(checkpoint: partial, test: splits.test)
            }
            if manifest.stage("teacher")?.status != "done" { return false }
        }

        // 2. Student, distilled from the teacher.
        var quantizeFrom = teacherPath
        if let student = recipe.student, let studentModel, let (training, distill) = studentSettings {
            let teacherHash = manifest.stage("teacher")!.artifacts[0].xxh64
            let command = ["pith", "distill", "--teacher", teacherPath, "--student", student.model!, "--data=\(recipe.data)", "--seed=\(recipe.seed)"]
                + student.arguments + ["-o", studentPath]
            let partial = studentPath + ".partial"
            try stage("student", inputs: ["distill", "\(training)", "\(distill)", "\(dataSpec)", studentModel.text, teacherHash, data],
                      command: command, outputs: [studentPath], resumable: true) { resume throws in
                let request = DistillStage.Request(start: resume ? .resume : .fresh(student: studentModel, teachers: [teacherPath]),
                                                   training: training, distill: distill, data: dataSpec, output: partial, stopAfter: stopAfter)
                _ = try DistillStage.run(request, splits: splits)
                return try Self.floatFigures(checkpoint: partial, test: splits.test)
            }
            if manifest.stage("student")?.status != "done" { return false }
            quantizeFrom = studentPath
        }

        // 3. Quantize to the int8 .pith file; the per-layer and per-tensor tables go to quantize.log.
        let sourceHash = manifest.stage(recipe.student != nil ? "student" : "teacher")!.artifacts[0].xxh64
        let quantizeCommand = ["pith", "quantize", quantizeFrom, "-o", pithPath] + recipe.quantize.arguments
        try stage("quantize", inputs: ["quantize", "\(quantizeSettings)", recipe.data, sourceHash, data], command: quantizeCommand, outputs: [pithPath]) { _ throws in
            let q = try QuantizeStage.run(checkpoint: quantizeFrom, settings: quantizeSettings, dataName: dataSpec.name, splits: splits, output: pithPath)
            let log = output + "/quantize.log"
            let text = "validation accuracy: float \(percent(q.floatAccuracy)), int8 \(percent(q.int8Accuracy)) (PithRuntime)\n"
                + "per layer, on \(q.layerSamples) validation images (float model against the integer simulation):\n"
                + q.layerTable + "\n" + q.tensorTable + "\n"
            try AtomicFile.write(Array(text.utf8), to: log)
            print("  validation accuracy: float \(percent(q.floatAccuracy)), int8 \(percent(q.int8Accuracy)) (PithRuntime)")
            print("  wrote \(pithPath): \(q.file.header.fileSize) bytes; per-layer and per-tensor tables: \(log)")
            return try Self.int8Figures(q.file, test: splits.test)
        }

        // 4. Build the standalone executable.
        let runnerPath = runner ?? BuildStage.defaultRunner()
        let pithHash = manifest.stage("quantize")!.artifacts[0].xxh64
        let runnerHash = (try? FileBytes.read(runnerPath, limit: FileBytes.Limit.executable)).map { hex(XXH64.hash($0)) } ?? "missing"
        try stage("build", inputs: [pithHash, runnerHash], command: ["pith", "build", pithPath, "-o", executablePath, "--runner", runnerPath], outputs: [executablePath]) { _ throws in
            let built = try BuildStage.run(model: pithPath, output: executablePath, runner: runnerPath)
            return Manifest.Figures(bytes: built.bytes, note: "runner \(runnerPath)")
        }

        // 5. Run the executable on the test split (float32, lossless), from an empty folder with an
        //    empty environment, and compare its predictions with the runtime's.
        let exeHash = manifest.stage("build")!.artifacts[0].xxh64
        try stage("run", inputs: [exeHash, pithHash, data], command: [executablePath, testInputsPath, "--json"],
                  outputs: [testInputsPath, testLabelsPath]) { _ throws in
            try ExecutableRun.writeTestSplit(splits.test, inputs: testInputsPath, labels: testLabelsPath)
            let runtime = try RuntimePredictions.classes(of: try FormatFiles.open(pithPath), on: splits.test)
            return try ExecutableRun.figures(executablePath, inputs: testInputsPath, test: splits.test, runtime: runtime)
        }

        // 6. The report.
        let allHashes = manifest.stages.filter { $0.name != "report" }.flatMap { $0.artifacts.map(\.xxh64) }
        let disagreement = manifest.stage("run")?.figures.disagreement
        try stage("report", inputs: allHashes + [data, disagreement ?? ""], command: ["report", reportPath], outputs: [reportPath]) { _ throws in
            let html = try HTMLReport(run: self, splits: splits).html()
            try AtomicFile.write(Array(html.utf8), to: reportPath)
            // Per-epoch metrics beside the report, one JSON object a line (no wall-clock figures).
            for (name, path) in [("teacher", teacherPath), ("student", studentPath)] where FileManager.default.fileExists(atPath: path) {
                let lines = try ONNXImport.checkpointOrONNX(path: path, data: dataSpec.name).history.map { r in
                    "{\"epoch\":\(r.epoch),\"trainLoss\":\(JSONText.number(r.trainLoss)),\"trainAccuracy\":\(JSONText.number(r.trainAccuracy)),"
                        + "\"validationLoss\":\(JSONText.number(r.validationLoss)),\"validationAccuracy\":\(JSONText.number(r.validationAccuracy))}\n"
                }
                try AtomicFile.write(Array(lines.joined().utf8), to: output + "/\(name)-epochs.jsonl")
            }
            return Manifest.Figures(bytes: html.utf8.count)
        }
        if let disagreement { throw PithError.mismatch("the standalone executable \(executablePath) disagrees with PithRuntime: \(disagreement)") }
        return true
    }

    /// Refuses an output folder where a file the pipeline writes is one the recipe reads (its
    /// given teacher checkpoint as `student.ckpt`, the recipe itself as `report.html`, ...).
    func refuseOutputOnInput() throws(PithError) {
        var inputs = [OutputPath.File("the recipe", recipe.path)] + OutputPath.dataInputs(dataSpec, mnistDirectory: mnistDirectory)
        var written = [studentPath, pithPath, output + "/quantize.log", output + "/teacher-epochs.jsonl", output + "/student-epochs.jsonl", executablePath, testInputsPath, testLabelsPath, reportPath, manifestPath]
        if recipe.teacher.checkpoint != nil { inputs.append(.init("the recipe's teacher checkpoint", teacherPath)) } else { written.append(teacherPath) }
        for (role, model) in [("the teacher's model description", recipe.teacher.model), ("the student's model description", recipe.student?.model)] {
            if let model, let path = try? ModelFiles.find(model, modelsDirectory: modelsDirectory, extension: "model", kind: "model", relativeTo: recipe.folder) { inputs.append(.init(role, path)) }
        }
        inputs.append(.init("the runner", runner ?? BuildStage.defaultRunner()))
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

    static func floatFigures(checkpoint: String, test: Dataset, data: String = "") throws -> Manifest.Figures {
        let model = try ONNXImport.checkpointOrONNX(path: checkpoint, data: data).model(path: checkpoint)
        model.fakeQuantization = nil
        let e = Evaluation(model: model, data: test)
        return Manifest.Figures(testAccuracy: e.accuracy, testErrors: e.errors, testCount: test.count, bytes: model.parameters.reduce(0) { $0 + $1.count * 4 },
                                parameters: model.description.parameterCount, latencyMicroseconds: StageTable.floatLatency(model, test))
    }

    /// The runtime's accuracy, confusion matrix and batch-1 latency on the test split.
    static func int8Figures(_ file: PithFile, test: Dataset) throws -> Manifest.Figures {
        let predictions = try RuntimePredictions.classes(of: file, on: test)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: test.classes), count: test.classes)
        for (p, y) in zip(predictions, test.labels) { confusion[Int(y)][p] += 1 }
        let errors = zip(predictions, test.labels).filter { $0 != Int($1) }.count
        return Manifest.Figures(testAccuracy: Double(test.count - errors) / Double(test.count), testErrors: errors, testCount: test.count,
                                bytes: Int(file.header.fileSize), latencyMicroseconds: try StageTable.runtimeLatency(file, test), confusion: confusion)
    }

    /// One row per stage: test accuracy, size in bytes, latency per image.
    public func table() -> String {
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
