import Foundation
import PithNN
import XCTest

/// Command lines and files that must not crash `pith`, make it lie or lose a file: an output
/// that is an input, options out of range, a --resume that asks for another run, a full
/// standard output, recipes that are not strict JSON.
extension CLITests {
    /// `r` failed with a status below 128 and one line on stderr (ArgumentParser's usage lines
    /// aside) containing `fragment`.
    func assertOneLineError(_ r: Output, _ fragment: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, what, file: file, line: line)
        XCTAssertLessThan(r.status, 128, "\(what): killed by a signal", file: file, line: line)
        let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("Usage") && !$0.hasPrefix("  See") && !$0.isEmpty }
        XCTAssertEqual(lines.count, 1, "\(what): one line: \(r.stderr)", file: file, line: line)
        XCTAssert(r.stderr.contains(fragment), "\(what): '\(r.stderr)' should contain '\(fragment)'", file: file, line: line)
        for raw in ["Fatal error", "DecodingError", "NSCocoaErrorDomain", "Swift.", "Optional("] {
            XCTAssertFalse(r.stderr.contains(raw), "\(what): \(r.stderr)", file: file, line: line)
        }
    }

    func bytes(_ path: String) -> Data { (try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data() }

    /// Every command that writes a file refuses an output that is one of its inputs — the same
    /// path, a symbolic link, a hard link — before any work, and leaves the input as it was.
    func testOutputOntoAnInputIsRefused() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder), ckpt = folder + "/t.ckpt", file = folder + "/t.pith"
        XCTAssertEqual(try run(["train", model, "-o", ckpt, "--epochs", "1"]).status, 0)
        XCTAssertEqual(try run(["train", model, "-o", folder + "/t2.ckpt", "--epochs", "1", "--seed", "2"]).status, 0)
        XCTAssertEqual(try run(["pack", ckpt, "-o", file, "--no-eval"]).status, 0)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.ckpt", withDestinationPath: ckpt)
        try FileManager.default.linkItem(atPath: ckpt, toPath: folder + "/hard.ckpt")
        // An input where the output's atomic write puts its temporary (it would be truncated).
        try FileManager.default.linkItem(atPath: ckpt, toPath: folder + "/.q.pith.partial-write")
        let runner = folder + "/runner"
        try FileManager.default.copyItem(atPath: tool("pith-run").path, toPath: runner)
        let csv = folder + "/d.csv"
        try (0..<40).map { i in (0..<64).map { _ in "1" }.joined(separator: ",") + ",\(i % 10)" }.joined(separator: "\n")
            .write(toFile: csv, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["quantize", ckpt, "-o", ckpt], ckpt),
            (["quantize", folder + "/.q.pith.partial-write", "-o", folder + "/q.pith", "--calibration", "10"], ckpt),
            (["quantize", ckpt, "-o", folder + "/link.ckpt", "--calibration", "10"], ckpt),
            (["pack", ckpt, "-o", ckpt], ckpt),
            (["pack", ckpt, "-o", folder + "/hard.ckpt", "--no-eval"], ckpt),
            (["pack", ckpt, "-o", csv, "--data", csv], csv),
            (["build", file, "-o", file], file),
            (["build", file, "-o", runner, "--runner", runner], runner),
            (["train", "--from", ckpt, "-o", ckpt, "--epochs", "1"], ckpt),
            (["train", "--from", ckpt, "-o", folder + "/./link.ckpt", "--epochs", "1"], ckpt),
            (["train", model, "-o", model], model),
            (["train", model, "-o", csv, "--data", csv], csv),
            (["distill", "--teacher", ckpt, "--student", model, "-o", ckpt], ckpt),
            (["distill", "--teacher", ckpt, "--teacher", folder + "/t2.ckpt", "--student", model, "-o", folder + "/t2.ckpt"], folder + "/t2.ckpt"),
            (["distill", "--teacher", ckpt, "--student", model, "-o", model], model),
        ]
        for (arguments, input) in cases {
            let before = bytes(input)
            XCTAssertFalse(before.isEmpty, input)
            assertOneLineError(try run(arguments), "(same file); choose another output", arguments.joined(separator: " "))
            XCTAssertEqual(bytes(input), before, "\(arguments): \(input) changed")
        }
        // A pipeline whose output folder would overwrite the teacher checkpoint its recipe names.
        let out = folder + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ckpt, toPath: out + "/student.ckpt")
        let recipe = folder + "/same.recipe"
        try #"{ "name": "same", "data": "digits", "teacher": { "checkpoint": "\#(out)/student.ckpt" }, "student": { "model": "\#(model)", "epochs": 1 } }"#
            .write(toFile: recipe, atomically: true, encoding: .utf8)
        let before = bytes(out + "/student.ckpt")
        assertOneLineError(try pipeline(recipe, out), "is the recipe's teacher checkpoint", "pipeline")
        XCTAssertEqual(bytes(out + "/student.ckpt"), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/manifest.json"))
    }

    /// --resume continues the run the checkpoint records: options that ask for another run
    /// and a checkpoint whose epochs do not add up are refused, the checkpoint left as it was.
    func testResumeRefusesAnotherRun() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder), ckpt = folder + "/r.ckpt"
        XCTAssertEqual(try run(["train", model, "-o", ckpt, "--epochs", "3", "--stop-after", "1"]).status, 0)
        let before = bytes(ckpt)
        assertOneLineError(try run(["train", model, "-o", ckpt, "--resume", "--epochs", "5"]), "--epochs 5 (the run has 3)", "--epochs")
        assertOneLineError(try run(["train", "-o", ckpt, "--resume", "--lr", "0.5", "--qat"]), "--lr 0.5 (the run has 0.001), --qat true", "--lr --qat")
        XCTAssertEqual(bytes(ckpt), before)
        var crafted = try Checkpoint(path: ckpt)
        crafted.epochsDone = 7
        try crafted.write(to: folder + "/done7.ckpt")
        assertOneLineError(try run(["train", "-o", folder + "/done7.ckpt", "--resume"]), "header field 'epochsDone' is 7, not in 0...3", "epochsDone")
        crafted.config.epochs = 200_000  // beyond --epochs' range; one epoch left, so that without the check this run ends
        crafted.epochsDone = 199_999
        try crafted.write(to: folder + "/long.ckpt")
        assertOneLineError(try run(["train", "-o", folder + "/long.ckpt", "--resume"]), "header field 'config.epochs' is 200000, not in 1...100000", "config.epochs")
        // Another --data than the run's is refused; without --data the run's own is loaded.
        let csv = folder + "/d.csv"
        try (0..<300).map { i in (0..<64).map { j in String((i * 7 + j * 3) % 17) }.joined(separator: ",") + ",\(i % 10)" }.joined(separator: "\n")
            .write(toFile: csv, atomically: true, encoding: .utf8)
        XCTAssertEqual(try run(["train", model, "-o", folder + "/c.ckpt", "--data", csv, "--epochs", "2", "--stop-after", "1"]).status, 0)
        assertOneLineError(try run(["train", "-o", folder + "/c.ckpt", "--resume", "--data", "digits"]), "--data digits (the run has \(csv): give --data \(csv))", "--data")
        let resumedCSV = try run(["train", "-o", folder + "/c.ckpt", "--resume"])
        XCTAssertEqual(resumedCSV.status, 0, resumedCSV.stderr)
        // A distillation run, the same way.
        let distilled = folder + "/s.ckpt"
        XCTAssertEqual(try run(["distill", "--teacher", ckpt, "--student", model, "-o", distilled, "--epochs", "2", "--stop-after", "1"]).status, 0)
        assertOneLineError(try run(["distill", "-o", distilled, "--resume", "--temperature", "3"]), "--temperature 3.0 (the run has 20.0)", "distill --temperature")
        // The bare command still resumes.
        let resumed = try run(["train", "-o", ckpt, "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssert(resumed.stdout.contains("epoch 3/3"), resumed.stdout)
    }

    /// Numeric options outside their range: one line, before any work.
    func testNumericOptionsAreRangeChecked() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder)
        let cases: [([String], String)] = [
            (["train", model, "-o", folder + "/x.ckpt", "--stop-after", "0"], "--stop-after must be at least 1"),
            (["train", model, "-o", folder + "/x.ckpt", "--csv-scale", "nan"], "--csv-scale must be a finite number"),
            (["train", model, "-o", folder + "/x.ckpt", "--gamma", "inf"], "--gamma a finite number"),
            (["train", model, "-o", folder + "/x.ckpt", "--epochs=-3"], "--epochs must be between 1 and 100000"),
            (["pipeline", "digits", "--threads", "0", "-o", folder + "/p"], "--threads must be between 1 and 256"),
            (["pipeline", "digits", "--stop-after=-1", "-o", folder + "/p"], "--stop-after must be at least 1"),
        ]
        for (arguments, fragment) in cases { assertOneLineError(try run(arguments), fragment, arguments.joined(separator: " ")) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/x.ckpt"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/p"))
    }

    /// Output that cannot be written (standard output on a full device) is an error, not a success.
    func testFullStandardOutputIsAnError() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder), ckpt = folder + "/t.ckpt", file = folder + "/t.pith"
        XCTAssertEqual(try run(["train", model, "-o", ckpt, "--epochs", "1"]).status, 0)
        XCTAssertEqual(try run(["pack", ckpt, "-o", file, "--no-eval"]).status, 0)
        for arguments in [["inspect", file], ["inspect", "--json", file], ["verify", file], ["eval", ckpt], ["--help"]] {
            let p = Process()
            p.executableURL = pith
            p.arguments = arguments
            p.standardOutput = try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full"))
            let err = Pipe()
            p.standardError = err
            try p.run()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            assertOneLineError(Output(status: p.terminationStatus, stdout: "", stderr: stderr), "pith: cannot write the output: No space left on device", "\(arguments)")
        }
    }

    /// Recipes are strict JSON: a field given twice, bad syntax, deep nesting, numbers out of
    /// range; and their values get the options' range checks. A damaged manifest names its field.
    func testRecipesAreStrictJSON() throws {
        let folder = temporaryFolder()
        let teacher = #""teacher": { "model": "digits-teacher", "epochs": 1 }"#
        let cases: [(String, String)] = [
            (#"{ "name": "x", "data": "digits", "name": "y", \#(teacher) }"#, "field 'name' appears twice"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "digits-teacher", "epochs": 1,\#n "epochs": 2 } }"#, "not valid JSON (line 2, column 2: field 'teacher.epochs' appears twice)"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "digits-teacher", "epochs": -3 } }"#, "teacher: --epochs must be between 1 and 100000"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "digits-teacher", "lr": -0.5 } }"#, "teacher: --lr must be a positive number"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "digits-teacher", "epochs": 2.5 } }"#, "teacher: 'epochs' must be a whole number"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "digits-teacher", "epochs": 1e400 } }"#, "1e400 is too large"),
            (#"{ "name": "x", "data": "digits", \#(teacher)"#, "line 1, column 87: the top level: expected ',' or '}', found the end of the text"),
            (#"{ "name": "x", "data": "digits", \#(teacher), }"#, "expected a field name"),
            (#"{ "name": "x\ud800", "data": "digits", \#(teacher) }"#, "lone surrogate"),
            (#"{ "name": 01 }"#, "does not start with 0"),
            (String(repeating: "[", count: 100_000), "nested deeper than 64 levels"),
            (String(repeating: "{\"a\":", count: 100_000), "nested deeper than 64 levels"),
            // A key that would carry its own value past the pipeline's list of its own options.
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "digits-teacher", "output=/tmp/elsewhere": true } }"#, "field 'teacher.output=/tmp/elsewhere' is not an option name"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "digits-teacher", "from": "t.ckpt" } }"#, "field 'teacher.from' is set by the pipeline itself"),
        ]
        for (i, (text, fragment)) in cases.enumerated() {
            let path = folder + "/r\(i).recipe"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            assertOneLineError(try pipeline(path, folder + "/out\(i)"), fragment, "recipe \(i): \(text.prefix(80))")
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out\(i)"), "recipe \(i)")
        }
        try Data([0x7B, 0x22, 0x6E, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]).write(to: URL(fileURLWithPath: folder + "/utf8.recipe"))
        assertOneLineError(try pipeline(folder + "/utf8.recipe", folder + "/out-utf8"), "not valid UTF-8", "invalid UTF-8")
        // A manifest that is not what the pipeline wrote.
        let out = folder + "/damaged"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let recipe = digitsRecipe(in: folder)
        for (text, fragment) in [(#"{ "recipe": "x", "recipeXXH64": "y", "stages": [ { "name": "teacher" } ] }"#, "field 'stages[0].inputs' is missing"),
                                 (#"{ "recipe": "x", "recipe": "x" }"#, "field 'recipe' appears twice"),
                                 (#"{ "recipe": 3, "recipeXXH64": "y" }"#, "field 'recipe' is not of type String")] {
            try text.write(toFile: out + "/manifest.json", atomically: true, encoding: .utf8)
            let r = try pipeline(recipe, out)
            assertOneLineError(r, fragment, text)
            XCTAssert(r.stderr.contains(out + "/manifest.json: "), r.stderr)
            XCTAssertEqual(try String(contentsOfFile: out + "/manifest.json", encoding: .utf8), text)
        }
    }
}
