import Foundation
import PithNN
import XCTest

/// `pith pipeline`: the manifest, skipping, resuming, the report, and bad input.
extension CLITests {
    /// The digits recipe, shortened, under `folder` (models from the project's models/).
    func digitsRecipe(in folder: String, teacherEpochs: Int = 8, alpha: Double = 0.5) -> String {
        let path = folder + "/quick.recipe"
        let text = """
            { "name": "quick", "data": "digits", "seed": 3,
              "teacher": { "model": "digits-teacher", "epochs": \(teacherEpochs), "batch-size": 32, "schedule": "cosine" },
              "student": { "model": "digits-student", "epochs": 6, "batch-size": 32, "lr": 0.003, "temperature": 4, "alpha": \(alpha), "cache-logits": true },
              "quantize": { "calibration": 500 } }
            """
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func manifest(_ folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func stages(_ folder: String) throws -> [String: [String: Any]] {
        let list = try XCTUnwrap(try manifest(folder)["stages"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: list.map { ($0["name"] as! String, $0) })
    }

    func pipeline(_ recipe: String, _ output: String, _ extra: [String] = []) throws -> Output {
        try run(["pipeline", recipe, "-o", output, "--models-dir", CLITests.root + "/models", "--threads", "2"] + extra)
    }

    /// An interrupted run resumes to the same teacher as an uninterrupted one; a second run
    /// skips every stage; a changed option re-runs that stage and the ones after it; the
    /// manifest's hashes are the files'.
    func testPipelineRecordsSkipsAndResumes() throws {
        let folder = temporaryFolder(), recipe = digitsRecipe(in: folder)
        let out = folder + "/out", straight = folder + "/straight"
        let stopped = try pipeline(recipe, out, ["--stop-after", "3"])
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
        XCTAssert(stopped.stdout.contains("stopped"), stopped.stdout)
        XCTAssertEqual(try stages(out)["teacher"]?["status"] as? String, "running")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/teacher.ckpt"), "an unfinished teacher is not the stage's output")

        let resumed = try pipeline(recipe, out)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssert(resumed.stdout.contains("teacher: resuming"), resumed.stdout)
        XCTAssert(resumed.stdout.contains("resuming digits-teacher at epoch 4 of 8"), resumed.stdout)
        XCTAssertEqual(try pipeline(recipe, straight).status, 0)
        // Checkpoints carry timings, so compare what the models compute: the int8 models' outputs.
        let a = try stages(out)
        let outputs = try [out, straight].map { try run([$0 + "/model.pith", $0 + "/test-inputs.idx", "--json"], executable: "pith-run") }
        XCTAssertEqual(outputs[0].status, 0, outputs[0].stderr)
        XCTAssertGreaterThan(outputs[0].stdout.count, 1000)
        XCTAssertEqual(outputs[0].stdout, outputs[1].stdout, "resumed and uninterrupted runs differ")
        // Every artifact as recorded, every stage done.
        for (name, stage) in a {
            XCTAssertEqual(stage["status"] as? String, "done", name)
            for artifact in try XCTUnwrap(stage["artifacts"] as? [[String: Any]]) {
                let path = out + "/" + (artifact["path"] as! String)
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                XCTAssertEqual(bytes.count, artifact["bytes"] as? Int, path)
            }
        }
        let figures = try XCTUnwrap(a["run"]?["figures"] as? [String: Any])
        XCTAssertEqual(figures["testErrors"] as? Int, (a["quantize"]?["figures"] as? [String: Any])?["testErrors"] as? Int,
                       "the standalone executable and the runtime disagree")
        let confusion = try XCTUnwrap((a["quantize"]?["figures"] as? [String: Any])?["confusion"] as? [[Int]])
        XCTAssertEqual(confusion.joined().reduce(0, +), 360)

        let again = try pipeline(recipe, out)
        XCTAssertEqual(again.status, 0, again.stderr)
        for name in ["teacher", "student", "quantize", "build", "run", "report"] {
            XCTAssert(again.stdout.contains("\(name): unchanged, skipped"), "\(name) ran again:\n\(again.stdout)")
        }
        // A new α: the teacher is kept, the student and everything after it run again.
        _ = digitsRecipe(in: folder, alpha: 0.7)
        let changed = try pipeline(recipe, out)
        XCTAssertEqual(changed.status, 0, changed.stderr)
        XCTAssert(changed.stdout.contains("teacher: unchanged, skipped"), changed.stdout)
        for name in ["student", "quantize", "report"] { XCTAssert(changed.stdout.contains("\(name): running"), "\(name) skipped:\n\(changed.stdout)") }
    }

    /// report.html: every chart is there and has data, and it needs nothing outside itself.
    func testPipelineReportHasEveryChart() throws {
        let folder = temporaryFolder(), out = folder + "/out"
        XCTAssertEqual(try pipeline(digitsRecipe(in: folder), out).status, 0)
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        func points(_ chart: String) -> Int? {
            guard let r = html.range(of: "data-chart=\"\(chart)\" data-points=\"") else { return nil }
            return Int(html[r.upperBound...].prefix { $0.isNumber })
        }
        let expected = ["teacher-loss": 16, "teacher-accuracy": 16, "student-loss": 12, "student-accuracy": 12,
                        "stage-accuracy": 4, "stage-size": 4, "stage-latency": 4, "confusion": 100,
                        "layer-sqnr": 2, "layer-weight-error": 2, "layer-1-weights": 41, "layer-2-weights": 41]
        for (chart, n) in expected { XCTAssertEqual(points(chart), n, "chart \(chart)") }
        XCTAssertEqual(html.components(separatedBy: "<svg class=\"chart\"").count - 1, expected.count)
        XCTAssertEqual(html.components(separatedBy: "<polyline").count - 1, 8, "two lines in each of the four training charts")
        for external in ["<script", "src=", "href=", "url("] { XCTAssertFalse(html.contains(external), "report.html refers outside itself: \(external)") }
    }

    /// Each bad input: one line naming what is wrong, a non-zero exit, nothing half-made.
    func testPipelineBadInput() throws {
        let folder = temporaryFolder()
        func write(_ name: String, _ text: String) -> String {
            try! text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
            return folder + "/" + name
        }
        let cases: [(String, String, String)] = [
            ("nodata", #"{ "name": "x", "data": { "name": "mnist", "mnist-dir": "/nonexistent/mnist" }, "teacher": { "model": "mlp-tiny" } }"#, "/nonexistent/mnist"),
            ("nomodel", #"{ "name": "x", "data": "digits", "teacher": { "model": "digits-teacher" }, "student": { "model": "no-such-model" } }"#, "no-such-model"),
            ("nockpt", #"{ "name": "x", "data": "digits", "teacher": { "checkpoint": "/nonexistent/t.ckpt" } }"#, "/nonexistent/t.ckpt"),
            ("badjson", #"{ "name": "x", "data": "digits", "#, "not valid JSON"),
            ("unknown", #"{ "name": "x", "data": "digits", "teacher": { "model": "digits-teacher", "epocs": 3 } }"#, "teacher: "),
            ("badstudent", #"{ "name": "x", "data": "digits", "teacher": { "model": "digits-teacher" }, "student": { "model": "digits-student", "alpha": 2 } }"#, "student: "),
            ("badquantize", #"{ "name": "x", "data": "digits", "teacher": { "model": "digits-teacher" }, "quantize": { "method": "nope" } }"#, "quantize: "),
            ("stray", #"{ "name": "x", "data": "digits", "teachr": {} }"#, "unknown field 'teachr'"),
        ]
        for (name, text, needle) in cases {
            let out = folder + "/out-" + name
            let r = try pipeline(write(name + ".recipe", text), out)
            XCTAssertNotEqual(r.status, 0, name)
            let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("Usage") && !$0.hasPrefix("  See") && !$0.isEmpty }
            XCTAssertEqual(lines.count, 1, "\(name): \(r.stderr)")
            XCTAssert(r.stderr.contains(needle), "\(name): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/teacher.ckpt"), name)
        }
        let file = write("a-file", "not a folder")
        let r = try pipeline(digitsRecipe(in: folder), file)
        XCTAssertNotEqual(r.status, 0)
        XCTAssert(r.stderr.contains("is a file, not a folder"), r.stderr)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "not a folder")
    }

    /// A full disk (a file size limit): the stage that cannot write fails with one line, and
    /// every artifact made before is still whole, as the manifest recorded it.
    func testPipelineFullDiskKeepsArtifacts() throws {
        let folder = temporaryFolder(), out = folder + "/out", recipe = digitsRecipe(in: folder)
        XCTAssertEqual(try pipeline(recipe, out).status, 0)
        let before = try stages(out)
        // A new teacher (more epochs) under a 256 KiB file size limit: its ~1 MB checkpoint cannot be written.
        _ = digitsRecipe(in: folder, teacherEpochs: 9)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", "trap '' XFSZ; ulimit -f 256; exec \"$0\" \"$@\"", pith.path, "pipeline", recipe, "-o", out,
                       "--models-dir", CLITests.root + "/models", "--threads", "2"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertNotEqual(p.terminationStatus, 0)
        XCTAssertEqual(stderr.split(separator: "\n").count, 1, stderr)
        XCTAssert(stderr.contains("teacher.ckpt") && stderr.contains("File too large"), stderr)
        for (name, stage) in before {
            for artifact in try XCTUnwrap(stage["artifacts"] as? [[String: Any]]) {
                let path = out + "/" + (artifact["path"] as! String)
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                XCTAssertEqual(bytes.count, artifact["bytes"] as? Int, "\(name): \(path) changed")
            }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".partial-write") }
        XCTAssertEqual(leftovers, [], "temporary files left behind")
        // With room again, the run completes.
        XCTAssertEqual(try pipeline(recipe, out).status, 0)
        XCTAssertEqual(try stages(out)["report"]?["status"] as? String, "done")
    }
}

/// The pipeline from any working directory, reproducibly, and its check of the executable.
extension CLITests {
    /// From a folder with no models/ in it, the recipe's built-in model names are found; two
    /// runs of the same recipe (the second with --force) write byte-identical checkpoints and
    /// model.pith files. (The student's checkpoint records its teacher's path, so the
    /// output folder is part of what is written.)
    func testPipelineWorksFromAnywhereAndReproduces() throws {
        let folder = temporaryFolder(), recipe = digitsRecipe(in: folder)
        var pith: [Data] = [], checkpoints: [Data] = []
        for force in [[], ["--force"]] {
            let out = "out"
            let r = try run(["pipeline", recipe, "-o", out, "--threads", "2"] + force, in: folder)
            XCTAssertEqual(r.status, 0, r.stderr)
            pith.append(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + out + "/model.pith")))
            checkpoints.append(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + out + "/student.ckpt")))
        }
        XCTAssertEqual(pith[0], pith[1], "two runs of one recipe wrote different model.pith files")
        // Into another output folder too: the same model.pith.
        XCTAssertEqual(try run(["pipeline", recipe, "-o", "elsewhere", "--threads", "2"], in: folder).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/elsewhere/model.pith")), pith[0], "another output folder, another model.pith")
        XCTAssertEqual(checkpoints[0], checkpoints[1], "two runs of one recipe wrote different student checkpoints")
        // A model path in a recipe is resolved beside the recipe first.
        let sub = folder + "/recipes"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        try "name beside\ninput 1 8 8\nflatten\ndense 10\n".write(toFile: sub + "/beside.model", atomically: true, encoding: .utf8)
        try #"{ "name": "b", "data": "digits", "teacher": { "model": "beside.model", "epochs": 1 } }"#.write(toFile: sub + "/b.recipe", atomically: true, encoding: .utf8)
        let beside = try run(["pipeline", "recipes/b.recipe", "-o", "beside-out", "--threads", "2"], in: folder)
        XCTAssertEqual(beside.status, 0, beside.stderr)
        XCTAssert(beside.stdout.contains("training beside"), beside.stdout)
    }

    /// A standalone executable that classifies one test sample differently from the runtime
    /// fails the run (non-zero exit, one line), and the report says so in a banner.
    func testPipelineFailsWhenTheExecutableDisagrees() throws {
        let folder = temporaryFolder(), recipe = digitsRecipe(in: folder), out = folder + "/out"
        XCTAssertEqual(try pipeline(recipe, out).status, 0)
        // A "runner" that runs the real model, then changes the first prediction's class.
        let script = folder + "/lying-runner"
        let realRunner = tool("pith-run").path
        try """
            #!/bin/sh
            out=$('\(realRunner)' '\(out)/model.pith' "$@") || exit $?
            case " $* " in *" --bench "*) printf '%s\\n' "$out"; exit 0;; esac
            printf '%s\\n' "$out" | sed '0,/"index":[0-9]*/s//"index":99/'
            exit 0

            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let r = try pipeline(recipe, out, ["--runner", script])
        XCTAssertNotEqual(r.status, 0, r.stdout)
        XCTAssertLessThan(r.status, 128)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssert(r.stderr.contains("disagrees with PithRuntime: 1 of 360 test samples"), r.stderr)
        let html = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        XCTAssert(html.contains("class=\"banner\""), "no banner in the report")
        // Run again: still a failure, though every stage is skipped.
        let again = try pipeline(recipe, out, ["--runner", script])
        XCTAssertNotEqual(again.status, 0, again.stdout)
    }
}

/// The machine-readable outputs: --version, --json on train, eval, quantize and verify.
extension CLITests {
    func testVersionAndJSONOutputs() throws {
        let version = try run(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertFalse(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let folder = temporaryFolder(), model = tinyModel(in: folder), ckpt = folder + "/m.ckpt"
        func object(_ r: Output) throws -> [String: Any] {
            XCTAssertEqual(r.status, 0, r.stderr)
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        }
        let trained = try object(try run(["train", model, "-o", ckpt, "--epochs", "2", "--json"]))
        XCTAssertEqual(trained["epochsDone"] as? Int, 2)
        let test = try XCTUnwrap(trained["test"] as? [String: Any])
        XCTAssertEqual(test["count"] as? Int, 360)
        // eval takes the checkpoint's data set without --data, and agrees with train's figures.
        let evaluated = try object(try run(["eval", ckpt, "--json"]))
        XCTAssertEqual(evaluated["errors"] as? Int, test["errors"] as? Int)
        let quantized = try object(try run(["quantize", ckpt, "-o", folder + "/m.pith", "--json", "--calibration", "200"]))
        XCTAssertEqual(try XCTUnwrap(quantized["int8Accuracy"] as? Double), try XCTUnwrap(quantized["floatAccuracy"] as? Double), accuracy: 0.1)
        let verified = try object(try run(["verify", folder + "/m.pith", "--json"]))
        XCTAssertEqual(verified["ok"] as? Bool, true)
        XCTAssertEqual(try run(["train", model, "-o", folder + "/q.ckpt", "--epochs", "1", "--quiet"]).stdout, "")
        // pith-run: --version, a --help that describes every option, --raw overriding the format.
        XCTAssert(try run(["--version"], executable: "pith-run").stdout.hasPrefix("pith-run "))
        let help = try run(["--help"], executable: "pith-run").stdout
        for option in ["--labels", "--json", "--raw", "--bench", "--runs", "--batch", "--threads", "--profile"] { XCTAssert(help.contains(option), option) }
        // An IDX file of 3 samples of 64 bytes: read as IDX, or (--raw u8) as 3 × 64 + 16 raw bytes.
        let idx = folder + "/three.idx"
        try Data([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 8] + [UInt8](repeating: 7, count: 192)).write(to: URL(fileURLWithPath: idx))
        XCTAssertEqual(try run([folder + "/m.pith", idx], executable: "pith-run").status, 0)
        let raw = try run([folder + "/m.pith", idx, "--raw", "u8"], executable: "pith-run")
        XCTAssertNotEqual(raw.status, 0)
        XCTAssert(raw.stderr.contains("208 bytes"), raw.stderr)
    }
}

/// `--keep best`: the run ends with the best validation epoch's weights, interrupted or not.
extension CLITests {
    func testKeepBestEndsWithTheBestValidationEpoch() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder)
        // A rate high enough that the last epoch is not the best one.
        let args = [model, "--epochs", "8", "--lr", "0.2", "--keep", "best"]
        XCTAssertEqual(try run(["train"] + args + ["-o", folder + "/a.ckpt"]).status, 0)
        let history = try Checkpoint(path: folder + "/a.ckpt").history
        XCTAssertEqual(history.count, 8)
        let bestAccuracy = try XCTUnwrap(history.map(\.validationAccuracy).max())
        XCTAssertLessThan(history.last!.validationAccuracy, bestAccuracy, "the test needs a run whose last epoch is not its best")
        let evaluated = try run(["eval", folder + "/a.ckpt", "--split", "validation", "--json"])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(object["accuracy"] as? Double), bestAccuracy, accuracy: 1e-12)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/a.ckpt.best"), "the best epoch's file is removed at the end")
        // Interrupted and resumed: the same bytes.
        XCTAssertEqual(try run(["train"] + args + ["-o", folder + "/b.ckpt", "--stop-after", "5"]).status, 0)
        let resumed = try run(["train", "-o", folder + "/b.ckpt", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/a.ckpt")), try Data(contentsOf: URL(fileURLWithPath: folder + "/b.ckpt")))
    }
}
