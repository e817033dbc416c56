import Foundation
import PithNN
import XCTest

/// End-to-end tests of the `pith` executable: its output, exit status and files.
final class CLITests: XCTestCase {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The built `pith` beside the test bundle.
    var pith: URL { tool("pith") }

    func tool(_ name: String) -> URL {
        var dir = Bundle(for: CLITests.self).bundleURL
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path) && dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent(name)
    }

    struct Output { let status: Int32; let stdout: String; let stderr: String }

    func run(_ arguments: [String], in folder: String = CLITests.root, environment: [String: String] = [:],
             executable: String = "pith", stdin: Data? = nil) throws -> Output {
        let p = Process()
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.executableURL = tool(executable)
        if let stdin {
            let input = Pipe()
            p.standardInput = input
            try input.fileHandleForWriting.write(contentsOf: stdin)
            try input.fileHandleForWriting.close()
        }
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: folder)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs the program at `path` (not one of the package's): exit status and standard output.
    func runProgram(_ path: String, _ arguments: [String], in folder: String? = nil, environment: [String: String]? = nil) throws -> (status: Int32, stdout: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        if let environment { p.environment = environment }
        if let folder { p.currentDirectoryURL = URL(fileURLWithPath: folder) }
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    func temporaryFolder() -> String {
        let path = NSTemporaryDirectory() + "pith-cli-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func tinyModel(in folder: String) -> String {
        let path = folder + "/tiny.model"
        try! "name tiny\ninput 1 8 8\nflatten\ndense 16\nrelu\ndense 10\n".write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testTrainResumeAndEval() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder), ckpt = folder + "/t.ckpt"
        let common = [model, "-o", ckpt, "--epochs", "3", "--batch-size", "64", "--lr", "0.005"]
        let first = try run(["train"] + common + ["--stop-after", "1"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssert(first.stdout.contains("epoch 1/3"), first.stdout)
        XCTAssertFalse(first.stdout.contains("epoch 2/3"), first.stdout)
        let resumed = try run(["train"] + common + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssert(resumed.stdout.contains("resuming tiny at epoch 2 of 3"), resumed.stdout)
        XCTAssert(resumed.stdout.contains("epoch 3/3"), resumed.stdout)
        XCTAssert(resumed.stdout.contains("test accuracy"), resumed.stdout)

        let eval = try run(["eval", ckpt])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssert(eval.stdout.contains("digits-test: accuracy"), eval.stdout)
    }

    /// The portable reference kernels (PITH_KERNELS=generic) and the fastest path this CPU
    /// has train to the same weights, bit for bit.
    func testKernelPathsTrainIdentically() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder)
        for (name, env) in [("fast", [String: String]()), ("generic", ["PITH_KERNELS": "generic"])] {
            let r = try run(["train", model, "-o", folder + "/\(name).ckpt", "--epochs", "2", "--threads", "2"], environment: env)
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        let fast = try Checkpoint(path: folder + "/fast.ckpt"), generic = try Checkpoint(path: folder + "/generic.ckpt")
        XCTAssertEqual(fast.parameters.map { $0.map(\.bitPattern) }, generic.parameters.map { $0.map(\.bitPattern) })
        XCTAssertEqual(fast.optimizerState, generic.optimizerState)
    }

    func testCrossValidation() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder)
        let r = try run(["cv", model, "--folds", "3", "--epochs", "2", "--batch-size", "64"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.contains("fold 3/3"), r.stdout)
        XCTAssert(r.stdout.contains("3-fold accuracy: "), r.stdout)
    }

    /// Each bad input: a non-zero exit and one line naming the file and the problem.
    func testBadInputsGiveOneClearLine() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder)
        try "input 784\ndense 10\nbogus\n".write(toFile: folder + "/bad.model", atomically: true, encoding: .utf8)
        try "1,x,2\n".write(toFile: folder + "/bad.csv", atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: folder + "/junk.ckpt", contents: Data("junk".utf8))
        let cases: [([String], String)] = [
            (["train", "no-such-model", "-o", folder + "/x.ckpt"], "no-such-model: no such model file"),
            (["train", folder + "/bad.model", "-o", folder + "/x.ckpt"], "bad.model:3: unknown keyword 'bogus'"),
            (["train", model, "-o", folder + "/bad.model/x.ckpt"], "x.ckpt: cannot write: '"),
            (["train", model, "-o", folder + "/x.ckpt", "--data", folder + "/bad.csv"], "bad.csv:1: column 2 'x' is not a finite number"),
            (["train", model, "-o", folder + "/x.ckpt", "--data", "mnist", "--mnist-dir", folder], "train-images-idx3-ubyte.gz: no such file"),
            (["train", "models/mlp-tiny.model", "-o", folder + "/x.ckpt"], "takes input [784] (784 values) but data 'digits-train'"),
            (["eval", folder + "/junk.ckpt"], "junk.ckpt: truncated"),
            (["eval", folder + "/none.ckpt"], "none.ckpt: no such file"),
            (["train", model, "-o", folder + "/x.ckpt", "--epochs", "0"], "--epochs must be between"),
        ]
        for (arguments, fragment) in cases {
            let r = try run(arguments)
            XCTAssertNotEqual(r.status, 0, arguments.joined(separator: " "))
            XCTAssert(r.stderr.contains(fragment), "\(arguments): stderr '\(r.stderr)' should contain '\(fragment)'")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
            let lines = r.stderr.split(separator: "\n").filter { !$0.hasPrefix("Usage") && !$0.hasPrefix("  See") && !$0.isEmpty }
            XCTAssertEqual(lines.count, 1, "one line: \(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/x.ckpt"))
    }

    /// The whole pipeline: a stage table whose last row is the standalone executable,
    /// which ran from an empty folder with an empty environment and matched the runtime.
    /// `pith demo` from a folder with no models/ in it (the built-in recipe and models), into
    /// an output folder that does not exist yet.
    func testDemoRunsThePipeline() throws {
        let cwd = temporaryFolder(), folder = cwd + "/runs/demo"
        let r = try run(["demo", "--output", "runs/demo", "--threads", "2"], in: cwd)
        XCTAssertEqual(r.status, 0, r.stderr)
        let table = r.stdout.split(separator: "\n").map(String.init)
        let stages = ["teacher (float32)", "student (float32, distilled)", "student int8 (.pith, PithRuntime)", "standalone executable"]
        var accuracies: [String] = []
        for stage in stages {
            guard let row = table.first(where: { $0.hasPrefix(stage) }) else { XCTFail("no row '\(stage)' in\n\(r.stdout)"); continue }
            accuracies.append(String(row.dropFirst(36).prefix(24)).trimmingCharacters(in: .whitespaces))
            XCTAssert(row.hasSuffix(" µs"), row)
        }
        XCTAssertEqual(accuracies.count, 4)
        if accuracies.count == 4 { XCTAssertEqual(accuracies[2], accuracies[3], "the executable and the runtime disagree") }
        XCTAssertEqual(try run(["verify", folder + "/model.pith"]).status, 0)
        XCTAssert(FileManager.default.fileExists(atPath: folder + "/report.html"))
        XCTAssert(FileManager.default.isExecutableFile(atPath: folder + "/classifier"))
    }

    func testPackInspectAndVerify() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder), ckpt = folder + "/t.ckpt", file = folder + "/t.pith"
        XCTAssertEqual(try run(["train", model, "-o", ckpt, "--epochs", "10", "--lr", "0.01"]).status, 0)
        let packed = try run(["pack", ckpt, "-o", file])
        XCTAssertEqual(packed.status, 0, packed.stderr)
        XCTAssert(packed.stdout.contains("validation accuracy: float"), packed.stdout)
        XCTAssert(packed.stdout.contains("8-bit weights:"), packed.stdout)

        let verified = try run(["verify", file])
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssert(verified.stdout.contains(": OK (.pith version 1"), verified.stdout)

        let text = try run(["inspect", file])
        XCTAssertEqual(text.status, 0, text.stderr)
        for fragment in ["header    .pith version 1", "sections", "metadata", "model.name                  tiny",
                         "graph", "Dense", "tensors", "layer2.weight", "checksum"] {
            XCTAssert(text.stdout.contains(fragment), "inspect lacks '\(fragment)':\n\(text.stdout)")
        }
        let json = try run(["inspect", "--json", file])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((object["metadata"] as? [String: Any])?["model.name"] as? String, "tiny")
        let tensors = try XCTUnwrap(object["tensors"] as? [[String: Any]])
        let weight = try XCTUnwrap(tensors.first { $0["name"] as? String == "layer2.weight" })
        XCTAssertEqual(weight["dtype"] as? String, "int8")
        XCTAssertEqual(weight["shape"] as? [Int], [16, 64])
        XCTAssertEqual(weight["checksumOK"] as? Bool, true)
        XCTAssertEqual(object["checksumsOK"] as? Bool, true)
        let accuracy = try XCTUnwrap((object["metadata"] as? [String: Any])?["provenance.accuracy.int8"] as? Double)
        let floatAccuracy = try XCTUnwrap((object["metadata"] as? [String: Any])?["provenance.accuracy.float"] as? Double)
        XCTAssertGreaterThan(accuracy, 0.8)
        XCTAssertEqual(accuracy, floatAccuracy, accuracy: 0.03)

        // A flipped byte, a truncated copy, a directory, an empty file, a checkpoint.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/flipped.pith"))
        try Data(bytes[0..<100]).write(to: URL(fileURLWithPath: folder + "/short.pith"))
        FileManager.default.createFile(atPath: folder + "/empty.pith", contents: Data())
        let cases: [(String, String)] = [
            (folder + "/flipped.pith", "flipped.pith: trailer.checksum: checksum mismatch"),
            (folder + "/short.pith", "short.pith: header.fileSize: says"),
            (folder, "not a regular file"),
            (folder + "/empty.pith", "empty.pith: the file is empty"),
            (ckpt, "t.ckpt: header.magic: not a .pith file"),
            (folder + "/none.pith", "none.pith: No such file"),
        ]
        for (path, fragment) in cases {
            for command in ["verify", "inspect"] {
                let r = try run([command, path])
                XCTAssertNotEqual(r.status, 0, "\(command) \(path)")
                XCTAssert(r.stderr.contains(fragment), "\(command) \(path): '\(r.stderr)' should contain '\(fragment)'")
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            }
        }
        // A missing output folder is created; one that cannot be (a file is in the way) fails
        // with one line and leaves nothing behind.
        let created = try run(["pack", ckpt, "-o", folder + "/missing/deeper/t.pith", "--no-eval"])
        XCTAssertEqual(created.status, 0, created.stderr)
        XCTAssert(FileManager.default.fileExists(atPath: folder + "/missing/deeper/t.pith"))
        try "x".write(toFile: folder + "/afile", atomically: true, encoding: .utf8)
        let failed = try run(["pack", ckpt, "-o", folder + "/afile/t.pith", "--no-eval"])
        XCTAssertNotEqual(failed.status, 0)
        XCTAssert(failed.stderr.contains("t.pith: cannot write"), failed.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".partial-write") }, [])
    }

    func testQuantizeMakesAnIntegerModelThatRuns() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder), ckpt = folder + "/t.ckpt", file = folder + "/t-int8.pith"
        XCTAssertEqual(try run(["train", model, "-o", ckpt, "--epochs", "10", "--lr", "0.01"]).status, 0)
        let q = try run(["quantize", ckpt, "-o", file, "--calibration", "200"])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssert(q.stdout.contains("validation accuracy: float "), q.stdout)
        XCTAssert(q.stdout.contains("(PithRuntime)"), q.stdout)
        let inspect = try run(["inspect", file])
        XCTAssert(inspect.stdout.contains("Quantize"), inspect.stdout)
        XCTAssert(inspect.stdout.contains("quantization.method"), inspect.stdout)
        XCTAssertEqual(try run(["verify", file]).status, 0)
        let pixels = Data([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 8] + (0..<64).map { UInt8($0 % 17) })
        try pixels.write(to: URL(fileURLWithPath: folder + "/x.idx"))
        let r = try run([file, folder + "/x.idx"], executable: "pith-run")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssert(r.stdout.hasPrefix("sample 0: class "), r.stdout)
        for method in ["percentile", "mse", "entropy"] {
            let other = try run(["quantize", ckpt, "-o", folder + "/\(method).pith", "--calibration", "200", "--method", method])
            XCTAssertEqual(other.status, 0, other.stderr)
            XCTAssert(try run(["inspect", folder + "/\(method).pith"]).stdout.contains("\(method)"))
        }
        // A model no .pith graph holds (a position embedding on the input itself) trains (a
        // teacher) with a note, and is refused by pack and quantize with one line and no
        // file; an unknown method: one line, no file.
        try "name g\ninput 8 8\nposition\nmean-tokens\ndense 10\n".write(toFile: folder + "/g.model", atomically: true, encoding: .utf8)
        let teacher = try run(["train", folder + "/g.model", "-o", folder + "/g.ckpt", "--epochs", "1"])
        XCTAssertEqual(teacher.status, 0, teacher.stderr)
        XCTAssert(teacher.stdout.contains("'position' has no op in .pith version 1"), teacher.stdout)
        XCTAssert(teacher.stdout.contains("it trains (as a teacher, say) but cannot be packed"), teacher.stdout)
        for (arguments, fragment) in [(["pack", folder + "/g.ckpt", "-o", folder + "/g.pith"], "'position' has no op in .pith version 1"),
                                      (["quantize", folder + "/g.ckpt", "-o", folder + "/g.pith"], "position embedding that does not follow a Dense layer"),
                                      (["quantize", ckpt, "-o", folder + "/m.pith", "--method", "kl"], "--method")] {
            let bad = try run(arguments)
            XCTAssertNotEqual(bad.status, 0)
            XCTAssert(bad.stderr.contains(fragment), bad.stderr)
            if arguments[1].hasSuffix("g.ckpt") { XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr) }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/g.pith"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/m.pith"))
    }

    /// `pith train --qat` from scratch and as a fine-tune (`--from`), then `pith quantize`
    /// exports the simulated model: the file says how, and the runtime's accuracy is the
    /// training's simulated accuracy.
    func testQuantizationAwareTrainingAndExport() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder)
        let qat = try run(["train", model, "--qat", "-o", folder + "/q.ckpt", "--epochs", "4", "--lr", "0.01"])
        XCTAssertEqual(qat.status, 0, qat.stderr)
        XCTAssert(qat.stdout.contains("test accuracy (simulated int8)"), qat.stdout)
        XCTAssertEqual(try run(["train", model, "-o", folder + "/f.ckpt", "--epochs", "4", "--lr", "0.01"]).status, 0)
        let tune = try run(["train", "--from", folder + "/f.ckpt", "--qat", "--epochs", "1", "--lr", "0.001", "-o", folder + "/t.ckpt"])
        XCTAssertEqual(tune.status, 0, tune.stderr)
        XCTAssert(tune.stdout.contains("fine-tuning tiny from"), tune.stdout)
        for name in ["q", "t"] {
            let q = try run(["quantize", folder + "/\(name).ckpt", "-o", folder + "/\(name).pith"])
            XCTAssertEqual(q.status, 0, q.stderr)
            let inspect = try run(["inspect", folder + "/\(name).pith"]).stdout
            XCTAssert(inspect.contains("quantization-aware training"), inspect)
            if name == "t" { XCTAssert(inspect.contains("fine-tuned from f.ckpt xxh64:"), inspect) }
        }
        // Bad input: one clear line, no checkpoint written.
        try "name g\ninput 8 8\nposition\nmean-tokens\ndense 10\n".write(toFile: folder + "/g.model", atomically: true, encoding: .utf8)
        for (arguments, fragment) in [(["train", folder + "/g.model", "--qat", "-o", folder + "/g.ckpt"], "position embedding that does not follow a Dense layer"),
                                      (["train", model, "--from", folder + "/f.ckpt", "-o", folder + "/x.ckpt"], "exactly one of"),
                                      (["train", "--from", folder + "/missing.ckpt", "-o", folder + "/x.ckpt"], "missing.ckpt"),
                                      (["train", model, "--qat", "--qat-momentum", "0", "-o", folder + "/x.ckpt"], "--qat-momentum")] {
            let bad = try run(arguments)
            XCTAssertNotEqual(bad.status, 0, "\(arguments)")
            // The first line says what is wrong (usage errors add ArgumentParser's usage lines).
            XCTAssert(bad.stderr.split(separator: "\n").first?.contains(fragment) == true, bad.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/g.ckpt"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/x.ckpt"))
    }

    /// `pith import` turns a PyTorch ONNX export into a checkpoint that evaluates, teaches a
    /// student, quantizes and exports again like a trained one; a file it cannot import gets
    /// one line and no checkpoint.
    func testAnImportedONNXModelEntersThePipeline() throws {
        let folder = temporaryFolder(), student = tinyModel(in: folder)
        let onnx = CLITests.root + "/Tests/PithONNXTests/Fixtures/mlp-torchscript.onnx"
        let imported = try run(["import", onnx, "-o", folder + "/t.ckpt", "--data", "digits"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssert(imported.stdout.contains("mlp-torchscript, 6 layers, 2130 parameters"), imported.stdout)
        let eval = try run(["eval", folder + "/t.ckpt"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssert(eval.stdout.contains("errors of 360"), eval.stdout)
        let distilled = try run(["distill", "--teacher", folder + "/t.ckpt", "--student", student, "-o", folder + "/s.ckpt", "--epochs", "1", "--lr", "0.01"])
        XCTAssertEqual(distilled.status, 0, distilled.stderr)
        XCTAssertEqual(try run(["quantize", folder + "/t.ckpt", "-o", folder + "/t.pith", "--calibration", "100"]).status, 0)
        // The .onnx file itself, wherever a teacher or a float model goes.
        let direct = try run(["distill", "--teacher", onnx, "--student", student, "-o", folder + "/s2.ckpt", "--epochs", "1", "--lr", "0.01", "--data", "digits"])
        XCTAssertEqual(direct.status, 0, direct.stderr)
        let quantized = try run(["quantize", onnx, "-o", folder + "/d.pith", "--calibration", "100", "--data", "digits"])
        XCTAssertEqual(quantized.status, 0, quantized.stderr)
        // A recipe's teacher as { "onnx": path }: the pipeline imports it and distils from it.
        let recipe = "{ \"name\": \"onnx\", \"data\": \"digits\", \"teacher\": { \"onnx\": \"\(onnx)\" },"
            + " \"student\": { \"model\": \"digits-student\", \"epochs\": 2, \"batch-size\": 32 }, \"quantize\": { \"calibration\": 100 } }"
        try recipe.write(toFile: folder + "/onnx.recipe", atomically: true, encoding: .utf8)
        let pipeline = try run(["pipeline", folder + "/onnx.recipe", "-o", folder + "/run"])
        XCTAssertEqual(pipeline.status, 0, pipeline.stderr + pipeline.stdout)
        XCTAssert(pipeline.stdout.contains("pith distill --teacher \(onnx)"), pipeline.stdout)
        // And back out: the exported file imports to the same layers.
        let exported = try run(["export", folder + "/t.ckpt", "-o", folder + "/t.onnx"])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        XCTAssert(try run(["import", folder + "/t.onnx", "-o", folder + "/t2.ckpt", "--data", "digits"]).stdout.contains("6 layers, 2130 parameters"))
        // Weights alone: safetensors out, and in again onto the model's description.
        XCTAssertEqual(try run(["export", folder + "/t.ckpt", "-o", folder + "/t.safetensors"]).status, 0)
        try "name mlp\ninput 1 8 8\nflatten\ndense 24\nrelu\ndense 16\ntanh\ndense 10\n".write(toFile: folder + "/mlp.model", atomically: true, encoding: .utf8)
        let st = try run(["import", folder + "/t.safetensors", "--model", folder + "/mlp.model", "-o", folder + "/t3.ckpt", "--data", "digits"])
        XCTAssertEqual(st.status, 0, st.stderr)
        XCTAssertEqual(try run(["eval", folder + "/t3.ckpt"]).stdout.split(separator: "\n").last, eval.stdout.split(separator: "\n").last)
        let ops = try run(["import", "--list-ops"])
        XCTAssert(ops.stdout.contains("Gemm\n"), ops.stdout)
        let bad = try run(["import", CLITests.root + "/tools/fuzz/corpus/onnx-reader/div-not-gelu.onnx", "-o", folder + "/x.ckpt"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
        XCTAssert(bad.stderr.contains("node '/5/Div' (Div, opset 17): op Div is not imported"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/x.ckpt"))
    }

    /// Sequence teachers (an LSTM and a Transformer over the image's rows) train, evaluate
    /// and resume like any model, cannot be packed in float (one line, no file) but quantize
    /// to int8, and distil into a student of another family that packs and runs.
    func testSequenceTeachersDistilAcrossFamilies() throws {
        let folder = temporaryFolder(), student = tinyModel(in: folder)
        let models = ["rnn": "name rnn\ninput 8 8\nlstm 24\ndense 10\n",
                      "attn": "name attn\ninput 8 8\ndense 16\nposition\ntransformer-block heads 2 ff 32\nmean-tokens\nlayernorm\ndense 10\n"]
        for (name, text) in models.sorted(by: { $0.key < $1.key }) {
            try text.write(toFile: folder + "/\(name).model", atomically: true, encoding: .utf8)
            let ckpt = folder + "/\(name).ckpt"
            let train = try run(["train", folder + "/\(name).model", "-o", ckpt, "--epochs", "3", "--lr", "0.005", "--stop-after", "2"])
            XCTAssertEqual(train.status, 0, train.stderr)
            XCTAssert(train.stdout.contains("pith pack cannot write it in float; pith quantize writes it in int8"), train.stdout)
            let resumed = try run(["train", "--resume", "-o", ckpt])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssert(resumed.stdout.contains("test accuracy"), resumed.stdout)
            let pack = try run(["pack", ckpt, "-o", folder + "/\(name).pith"])
            XCTAssertNotEqual(pack.status, 0)
            XCTAssert(pack.stderr.contains("has no op in .pith version 1"), pack.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/\(name).pith"))
            // In int8 it packs, verifies and runs.
            let int8 = try run(["quantize", ckpt, "-o", folder + "/\(name).pith", "--calibration", "200"])
            XCTAssertEqual(int8.status, 0, int8.stderr)
            XCTAssertEqual(try run(["verify", folder + "/\(name).pith"]).status, 0)
            let distilled = try run(["distill", "--teacher", ckpt, "--student", student, "-o", folder + "/\(name)-s.ckpt",
                                     "--epochs", "2", "--lr", "0.01", "--temperature", "4", "--alpha", "0.5", "--cache-logits"])
            XCTAssertEqual(distilled.status, 0, distilled.stderr)
            XCTAssert(distilled.stdout.contains("distilling \(name) into tiny"), distilled.stdout)
            let q = try run(["quantize", folder + "/\(name)-s.ckpt", "-o", folder + "/\(name)-s.pith"])
            XCTAssertEqual(q.status, 0, q.stderr)
        }
    }

    /// `pith distill` from one teacher and an ensemble, with cached soft targets, with a
    /// hint, quantization-aware then exported, and resumed; bad inputs refused before any
    /// training.
    func testDistillCombinesWithTheOtherStages() throws {
        let folder = temporaryFolder(), student = tinyModel(in: folder)
        let teacher = folder + "/teacher.model"
        try "name teacher\ninput 1 8 8\nflatten\ndense 64\nrelu\ndropout 0.1\ndense 10\n".write(toFile: teacher, atomically: true, encoding: .utf8)
        for seed in ["1", "2"] {
            XCTAssertEqual(try run(["train", teacher, "-o", folder + "/t\(seed).ckpt", "--epochs", "4", "--lr", "0.01", "--seed", seed, "--shift", "1"]).status, 0)
        }
        let single = try run(["distill", "--teacher", folder + "/t1.ckpt", "--student", student, "-o", folder + "/s.ckpt", "--epochs", "3", "--lr", "0.01", "--cache-logits"])
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssert(single.stdout.contains("distilling teacher into tiny"), single.stdout)
        let ensemble = try run(["distill", "--teacher", folder + "/t1.ckpt", "--teacher", folder + "/t2.ckpt", "--student", student,
                                "-o", folder + "/e.ckpt", "--epochs", "2", "--shift", "1", "--rotate", "8", "--scale", "0.05", "--temperature", "4", "--alpha", "0.5", "--qat"])
        XCTAssertEqual(ensemble.status, 0, ensemble.stderr)
        XCTAssert(ensemble.stdout.contains("distilling teacher + teacher into tiny"), ensemble.stdout)
        XCTAssert(ensemble.stdout.contains("test accuracy (simulated int8)"), ensemble.stdout)
        let q = try run(["quantize", folder + "/e.ckpt", "-o", folder + "/e.pith"])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssert(try run(["inspect", folder + "/e.pith"]).stdout.contains("quantization-aware training"))
        // Interrupted and resumed: the teachers come from the checkpoint.
        XCTAssertEqual(try run(["distill", "--teacher", folder + "/t1.ckpt", "--student", student, "-o", folder + "/r.ckpt", "--epochs", "3",
                                "--lr", "0.01", "--cache-logits", "--stop-after", "1"]).status, 0)
        let resumed = try run(["distill", "--resume", "-o", folder + "/r.ckpt"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try run(["eval", folder + "/r.ckpt"]).stdout.split(separator: "\n").last,
                       try run(["eval", folder + "/s.ckpt"]).stdout.split(separator: "\n").last)
        // Bad input: one line, nothing written.
        let csv = folder + "/other.csv"
        try (0..<40).map { i in (0..<64).map { _ in "0" }.joined(separator: ",") + ",\(i % 10)" }.joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        try "name wide\ninput 1 9 9\nflatten\ndense 8\nrelu\ndense 10\n".write(toFile: folder + "/wide.model", atomically: true, encoding: .utf8)
        for (arguments, fragment) in [
            (["--data", csv], "was trained on 'digits', not on"),
            (["--temperature", "0"], "--temperature"), (["--alpha", "1.5"], "--alpha"),
            (["--student", folder + "/wide.model"], "takes input"),
            (["--hint", "2-3"], "--hint must be"),
            (["--shift", "2", "--cache-logits"], "--cache-logits"), (["--scale", "0.1", "--cache-logits"], "--cache-logits"),
            (["--rotate", "200"], "--rotate 200.0 must be between 0 (none) and 180 degrees"), (["--scale", "0.9"], "--scale 0.9 must be between 0 (none) and 0.5"),
            (["--mixup", "1"], "--mixup needs --alpha 1"), (["--mixup=-1", "--alpha", "1"], "--mixup -1.0 must be between 0 (none) and 1000"),
        ] {
            var base = ["distill", "--teacher", folder + "/t1.ckpt", "-o", folder + "/x.ckpt", "--epochs", "1"]
            if !arguments.contains("--student") { base += ["--student", student] }
            let bad = try run(base + arguments)
            XCTAssertNotEqual(bad.status, 0, "\(arguments)")
            XCTAssert(bad.stderr.split(separator: "\n").first?.contains(fragment) == true, "\(arguments): \(bad.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/x.ckpt"))
    }

    /// `pith build`: the runner with the model inside runs from an empty folder with an
    /// empty environment and agrees with pith-run on the .pith file; built on the Embedded
    /// Swift runner (tools/build-runner, which tools/test runs first: at most 1,152 KiB) or the
    /// one with the Swift runtime linked in (when built), ldd lists no Swift library. A file
    /// that is not a model, and a runner that already holds one, are refused.
    func testBuildMakesAStandaloneExecutable() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder), ckpt = folder + "/t.ckpt", file = folder + "/t.pith"
        XCTAssertEqual(try run(["train", model, "-o", ckpt, "--epochs", "5", "--lr", "0.01"]).status, 0)
        XCTAssertEqual(try run(["quantize", ckpt, "-o", file]).status, 0)
        let embeddedRunner = CLITests.root + "/.build-embedded/runner/pith-run", staticRunner = CLITests.root + "/.build-static/release/pith-run"
        XCTAssert(FileManager.default.isExecutableFile(atPath: embeddedRunner), "run tools/build-runner first (tools/test does)")
        let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: embeddedRunner)[.size] as? Int)
        XCTAssertLessThanOrEqual(size, 1_152 << 10, "the Embedded Swift runner grew past 1,152 KiB")
        let runners = [tool("pith-run").path, embeddedRunner] + (FileManager.default.isExecutableFile(atPath: staticRunner) ? [staticRunner] : [])
        let pixels = Data([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 8] + (0..<192).map { UInt8($0 % 17) })
        try pixels.write(to: URL(fileURLWithPath: folder + "/x.idx"))
        try "1\n2\n3\n".write(toFile: folder + "/y.txt", atomically: true, encoding: .utf8)
        let expected = try run([file, folder + "/x.idx", "--labels", folder + "/y.txt"], executable: "pith-run")
        XCTAssertEqual(expected.status, 0, expected.stderr)
        XCTAssert(expected.stdout.contains("accuracy "), expected.stdout)
        for (i, runner) in runners.enumerated() {
            let exe = folder + "/classifier\(i)"
            let b = try run(["build", file, "-o", exe, "--runner", runner])
            XCTAssertEqual(b.status, 0, b.stderr)
            let (status, text) = try runProgram(exe, [folder + "/x.idx", "--labels", folder + "/y.txt"], in: temporaryFolder(), environment: [:])
            XCTAssertEqual(status, 0)
            XCTAssertEqual(text, expected.stdout, "runner \(runner)")
            if runner != runners[0] {
                let libraries = try runProgram("/usr/bin/ldd", [exe]).stdout
                XCTAssertFalse(libraries.lowercased().contains("swift"), libraries)
            }
            let again = try run(["build", file, "-o", folder + "/twice", "--runner", exe])
            XCTAssertNotEqual(again.status, 0)
            XCTAssert(again.stderr.contains("already carries a model"), again.stderr)
        }
        let bad = try run(["build", ckpt, "-o", folder + "/nope"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/nope"))
    }

    func testTheCAPIFromACProgram() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder), ckpt = folder + "/t.ckpt", file = folder + "/t.pith"
        XCTAssertEqual(try run(["train", model, "-o", ckpt, "--epochs", "2"]).status, 0)
        XCTAssertEqual(try run(["pack", ckpt, "-o", file, "--no-eval", "--weights", "float32"]).status, 0)
        let r = try run([file], executable: "pith-c-example")
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        XCTAssert(r.stdout.contains("input rank 3: 1 8 8, 64 values; output 10 values"), r.stdout)
        XCTAssert(r.stdout.contains("sample 1: class "), r.stdout)
        XCTAssert(r.stdout.contains("NaN input refused: input: value 3 (sample 0) is NaN"), r.stdout)
        XCTAssert(r.stdout.contains("batch 3 refused: pith_run: batch 3 is outside 1...2"), r.stdout)
    }

    func testPithRunReadsEveryInputFormat() throws {
        let folder = temporaryFolder(), model = tinyModel(in: folder), ckpt = folder + "/t.ckpt", file = folder + "/t.pith"
        XCTAssertEqual(try run(["train", model, "-o", ckpt, "--epochs", "10", "--lr", "0.01"]).status, 0)
        XCTAssertEqual(try run(["pack", ckpt, "-o", file, "--no-eval"]).status, 0)
        // Three 8x8 images with grey levels 0-16 (the digits set's), in each format.
        let pixels: [[UInt8]] = (0..<3).map { s in (0..<64).map { UInt8(($0 * (s + 3)) % 17) } }
        let idx = Data([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 8, 0, 0, 0, 8] + pixels.flatMap { $0 })
        try idx.write(to: URL(fileURLWithPath: folder + "/x.idx"))
        try (pixels.map { $0.map(String.init).joined(separator: ",") + ",7" }.joined(separator: "\n") + "\n")
            .write(toFile: folder + "/x.csv", atomically: true, encoding: .utf8)
        let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 64), }"
        let padded = header + String(repeating: " ", count: (64 - (10 + header.count + 1) % 64) % 64) + "\n"
        try Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(padded.utf8.count), 0] + Array(padded.utf8) + pixels.flatMap { $0 })
            .write(to: URL(fileURLWithPath: folder + "/x.npy"))
        try Data(pixels.flatMap { $0 }).write(to: URL(fileURLWithPath: folder + "/x.bin"))
        let fromIDX = try run([file, folder + "/x.idx"], executable: "pith-run")
        XCTAssertEqual(fromIDX.status, 0, fromIDX.stderr)
        XCTAssertEqual(fromIDX.stdout.split(separator: "\n").count, 3, fromIDX.stdout)
        XCTAssert(fromIDX.stdout.hasPrefix("sample 0: class "), fromIDX.stdout)
        // CSV values are taken as they are; the 8-bit formats get the file's input.scale.
        for input in ["/x.npy", "/x.bin"] {
            let r = try run([file, folder + input] + (input == "/x.bin" ? ["--raw", "u8"] : []), executable: "pith-run")
            XCTAssertEqual(r.stdout, fromIDX.stdout, input)
        }
        let csv = try run([file, folder + "/x.csv"], executable: "pith-run")
        XCTAssertEqual(csv.status, 0, csv.stderr)
        XCTAssertEqual(csv.stdout.split(separator: "\n").count, 3)
        let stdin = try run([file, "-", "--json"], executable: "pith-run", stdin: idx)
        XCTAssertEqual(stdin.status, 0, stdin.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stdin.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(json.count, 3)
        let probabilities = try XCTUnwrap(json[0]["probabilities"] as? [Double])
        XCTAssertEqual(probabilities.count, 10)
        XCTAssertEqual(probabilities.reduce(0, +), 1, accuracy: 1e-4)
        let bench = try run([file, folder + "/x.idx", "--bench", "--runs", "50", "--batch", "8"], executable: "pith-run")
        XCTAssertEqual(bench.status, 0, bench.stderr)
        XCTAssert(bench.stdout.contains("batch 1 latency over 50 runs: p50 "), bench.stdout)
        XCTAssert(bench.stdout.contains("batch 8: "), bench.stdout)
        let profile = try run([file, folder + "/x.idx", "--profile", "--runs", "5", "--batch", "2"], executable: "pith-run")
        XCTAssertEqual(profile.status, 0, profile.stderr)
        XCTAssert(profile.stdout.contains("step times, batch 2, best of 5 runs"), profile.stdout)
        XCTAssert(profile.stdout.contains("(Dense): ") && profile.stdout.contains("total: "), profile.stdout)

        try "1,2\n".write(toFile: folder + "/short.csv", atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            ([file, folder + "/short.csv"], "short.csv:1: 2 columns; 64 feature columns are expected"),
            ([file, folder + "/none.idx"], "none.idx: no such file"),
            ([folder + "/x.idx", folder + "/x.idx"], "x.idx: header.magic: not a .pith file"),
            ([file, folder], "not a regular file"),
            ([file, folder + "/x.bin"], "are not whole float32 samples"),
            ([file], "expected MODEL.pith and INPUT"),
            ([file, folder + "/x.idx", "--batch-runs", "0"], "--batch-runs must be 1...1000000"),
        ]
        for (arguments, fragment) in cases {
            let r = try run(arguments, executable: "pith-run")
            XCTAssertNotEqual(r.status, 0, "\(arguments)")
            XCTAssert(r.stderr.contains(fragment), "\(arguments): '\(r.stderr)' should contain '\(fragment)'")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
    }
}
