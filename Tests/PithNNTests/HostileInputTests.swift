import Foundation
import PithNN
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// CRC-32 (zlib's polynomial 0xEDB88320, reflected), bit by bit: small inputs only.
func crc32Reference(_ bytes: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        c ^= UInt32(b)
        for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
    }
    return ~c
}

func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

/// The message of what `body` throws, or nil when it returns.
func thrownText(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch { return "\(error)" }
}

/// Checkpoints a trainer never writes: the header's JSON edited, the CRC made right again.
final class CheckpointHostileTests: XCTestCase {
    let folder = temporaryFolder()

    /// A valid checkpoint of a 4-3 dense model with Adam: 15 parameters, 45 floats.
    func validCheckpoint() throws -> [UInt8] {
        let d = try ModelDescription(parsing: "name small\ninput 4\ndense 3\n", source: "m")
        let model = Model(d, seed: 1)
        let config = TrainingConfig(modelText: d.text, data: "digits", seed: 1, epochs: 3, batchSize: 8,
                                    optimizer: OptimizerConfig(kind: .adam), schedule: Schedule(kind: .constant, baseLR: 1e-3))
        let optimizer = Optimizer(config.optimizer, parameters: model.parameters)
        return Checkpoint(config: config, model: model, optimizer: optimizer, epochsDone: 0, history: []).encoded()
    }

    /// `bytes` with the header replaced by `json` (and the floats by `floats` when given).
    func withHeader(_ bytes: [UInt8], json: String, floats: [Float]? = nil) -> [UInt8] {
        let oldLength = Int(bytes[12..<20].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        var out = Array(bytes[0..<12]) + littleEndian(UInt64(json.utf8.count)) + Array(json.utf8)
        if let floats {
            out += littleEndian(UInt64(floats.count))
            for f in floats { out += littleEndian(f.bitPattern) }
        } else {
            out += bytes[(20 + oldLength)..<(bytes.count - 4)]
        }
        return out + littleEndian(crc32Reference(out))
    }

    /// The header of `bytes` as a JSON object, edited by `edit`, written back.
    func edited(_ bytes: [UInt8], floats: [Float]? = nil, _ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        let length = Int(bytes[12..<20].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        var header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[20..<(20 + length)])) as? [String: Any])
        edit(&header)
        let json = String(decoding: try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]), as: UTF8.self)
        return withHeader(bytes, json: json, floats: floats)
    }

    func problem(_ bytes: [UInt8], name: String = "x.ckpt") -> String? {
        let path = folder + "/" + name
        writeBytes(bytes, path)
        return thrownText { _ = try Checkpoint(path: path) }
    }

    func testTheHelperWritesACheckpointThatLoads() throws {
        let bytes = try edited(try validCheckpoint()) { _ in }
        XCTAssertNil(problem(bytes))
    }

    /// ∏ shape and Σ sizes trapped on overflow; now one line.
    func testShapesWhoseProductOverflows() throws {
        let huge = try edited(try validCheckpoint()) { $0["parameterShapes"] = [[1 << 20, 1 << 20, 1 << 20, 1 << 20], [3]] }
        XCTAssertEqual(problem(huge), folder + "/x.ckpt: parameter shapes hold more than \(1 << 31) values")
        let many = try edited(try validCheckpoint()) { $0["parameterShapes"] = Array(repeating: [1 << 20, 1 << 11], count: 4) }
        XCTAssertEqual(problem(many), folder + "/x.ckpt: parameter shapes hold more than \(1 << 31) values")
        let negative = try edited(try validCheckpoint()) { $0["parameterShapes"] = [[-3, -5], [3]] }
        XCTAssert(problem(negative)?.contains("header field 'parameterShapes[0]' [-3, -5] is not a shape") == true, problem(negative) ?? "loaded")
        // 15 parameters · (1 + 3 slots) would be 60, but slots are 0...2.
        let slots = try edited(try validCheckpoint()) { $0["optimizerSlots"] = 3 }
        XCTAssertEqual(problem(slots), folder + "/x.ckpt: header field 'optimizerSlots' is 3, not 0, 1 or 2")
    }

    /// A negative epochsDone trapped on --resume; fields a trainer never writes are refused.
    func testFieldsOutOfRange() throws {
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("negative epochsDone", { $0["epochsDone"] = -1 }, "header field 'epochsDone' is -1, not in 0...3"),
            ("epochsDone past epochs", { $0["epochsDone"] = 4 }, "header field 'epochsDone' is 4, not in 0...3"),
            ("history without epochs", { h in
                h["history"] = [["epoch": 1, "trainLoss": 1, "trainAccuracy": 0, "validationLoss": 1,
                                 "validationAccuracy": 0, "samplesPerSecond": 1, "seconds": 1]]
            }, "header field 'history' holds 1 epochs, but 'epochsDone' is 0"),
            ("negative step", { $0["step"] = -5 }, "header field 'step' is -5, not in 0...\(1 << 48)"),
            ("zero epochs", { h in var c = h["config"] as! [String: Any]; c["epochs"] = 0; h["config"] = c },
             "header field 'config.epochs' is 0, not in 1...100000"),
            ("negative batch", { h in var c = h["config"] as! [String: Any]; c["batchSize"] = -2; h["config"] = c },
             "header field 'config.batchSize' is -2, not in 0...\(1 << 31)"),
            ("negative warm-up", { h in
                var c = h["config"] as! [String: Any], s = c["schedule"] as! [String: Any]
                s["warmupSteps"] = Int.min; c["schedule"] = s; h["config"] = c
            }, "header field 'config.schedule.warmupSteps' is \(Int.min), not in 0...\(1 << 48)"),
            ("negative objective count", { $0["auxiliaryParameters"] = -1 }, "declares -1 objective parameters of 2"),
            ("negative learning rate", { h in
                var c = h["config"] as! [String: Any], s = c["schedule"] as! [String: Any]
                s["baseLR"] = -0.5; c["schedule"] = s; h["config"] = c
            }, "header field 'config.schedule.baseLR' is -0.5, not in \(Float.leastNonzeroMagnitude)...\(Float.greatestFiniteMagnitude)"),
        ]
        for (name, edit, expected) in cases {
            XCTAssertEqual(problem(try edited(try validCheckpoint(), edit)), folder + "/x.ckpt: " + expected, name)
        }
    }

    /// A header that is not JSON, or misses a field, or has one of the wrong type: one line
    /// naming the field, not DecodingError's description.
    func testMalformedHeadersNameTheField() throws {
        let valid = try validCheckpoint()
        XCTAssertEqual(problem(withHeader(valid, json: "{ not json")), folder + "/x.ckpt: header is not valid JSON")
        XCTAssertEqual(problem(try edited(valid) { $0["epochsDone"] = nil }), folder + "/x.ckpt: header field 'epochsDone' is missing")
        let wrongType = try edited(valid) { h in var c = h["config"] as! [String: Any]; c["epochs"] = "ten"; h["config"] = c }
        XCTAssertEqual(problem(wrongType), folder + "/x.ckpt: header field 'config.epochs' has the wrong type (expected Int)")
        let nested = try edited(valid) { h in
            var c = h["config"] as! [String: Any], o = c["optimizer"] as! [String: Any]
            o["kind"] = "rmsprop"; c["optimizer"] = o; h["config"] = c
        }
        XCTAssertEqual(problem(nested), folder + "/x.ckpt: header field 'config.optimizer.kind' has a value that is not allowed (out of range or not a known name)")
        let inArray = try edited(valid) { h in h["history"] = [["epoch": 1]]; h["epochsDone"] = 1 }
        XCTAssertEqual(problem(inArray), folder + "/x.ckpt: header field 'history[0].trainLoss' is missing")
    }

    /// A small checkpoint whose model text describes a 134-million-parameter model: refused
    /// on the shapes, before a gigabyte of weights is allocated for it.
    func testAHugeModelTextIsRefusedBeforeItsWeightsAreAllocated() throws {
        let bytes = try edited(try validCheckpoint()) { h in
            var c = h["config"] as! [String: Any]; c["modelText"] = "name huge\ninput 8192\ndense 16384\n"; h["config"] = c
        }
        let path = folder + "/huge.ckpt"
        writeBytes(bytes, path)
        let checkpoint = try Checkpoint(path: path)
        let before = peakResidentBytes()
        XCTAssertEqual(thrownText { _ = try checkpoint.model(path: path) },
                       path + ": stored weight shapes do not match the model description 'huge'")
        XCTAssertLessThan(peakResidentBytes() - before, 256 << 20, "the model's weights were allocated before the shapes were compared")
    }

    /// The process's peak resident memory so far (Linux reports ru_maxrss in KiB).
    func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }

    /// `ModelDescription.parameterShapes` (computed) is what `Model` allocates, in order.
    func testParameterShapesAgreeWithTheModelForEveryReferenceModel() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/models").filter { $0.hasSuffix(".model") }
        XCTAssertGreaterThanOrEqual(files.count, 5)
        for file in files {
            let path = repositoryRoot + "/models/" + file
            let d = try ModelDescription(parsing: try String(contentsOfFile: path, encoding: .utf8), source: path)
            XCTAssertEqual(d.parameterShapes, Model(d, seed: 0).parameters.map(\.shape), file)
            XCTAssertEqual(d.parameterShapes.reduce(0) { $0 + $1.reduce(1, *) }, d.parameterCount, file)
        }
    }
}

/// Files that are not files, or are too long: refused before or while reading, bounded.
final class FileBytesTests: XCTestCase {
    func testDevicesPipesAndFoldersAreRefused() throws {
        let folder = temporaryFolder()
        XCTAssertEqual(thrownText { _ = try FileBytes.read("/dev/zero") }, "/dev/zero: is not a regular file (a device, pipe or socket)")
        XCTAssertEqual(thrownText { _ = try Checkpoint(path: "/dev/zero") }, "/dev/zero: is not a regular file (a device, pipe or socket)")
        try FileManager.default.createSymbolicLink(atPath: folder + "/zero.csv", withDestinationPath: "/dev/zero")
        XCTAssertEqual(thrownText { _ = try DataSource.csv(path: folder + "/zero.csv", scale: 1).load() },
                       folder + "/zero.csv: is not a regular file (a device, pipe or socket)")
        // A FIFO with no writer: opening it must neither block nor read.
        XCTAssertEqual(mkfifo(folder + "/fifo", 0o600), 0)
        XCTAssertEqual(thrownText { _ = try FileBytes.read(folder + "/fifo") }, folder + "/fifo: is not a regular file (a device, pipe or socket)")
        XCTAssertEqual(thrownText { _ = try FileBytes.read(folder) }, folder + ": is a directory, not a regular file")
        XCTAssertEqual(thrownText { _ = try FileBytes.read(folder + "/none") }, folder + "/none: no such file")
    }

    func testTheLimitIsKept() throws {
        let folder = temporaryFolder()
        writeBytes(Array(repeating: 7, count: 11), folder + "/eleven")
        XCTAssertEqual(thrownText { _ = try FileBytes.read(folder + "/eleven", limit: 10) }, folder + "/eleven: is larger than 10 bytes")
        XCTAssertEqual(try FileBytes.read(folder + "/eleven", limit: 11), Array(repeating: 7, count: 11))
        writeBytes([], folder + "/empty")
        XCTAssertEqual(try FileBytes.read(folder + "/empty", limit: 0), [])
        XCTAssertEqual(FileBytes.Limit.checkpoint, 20 + (1 << 24) + 8 + 4 * (1 << 31) + 4)
    }
}

final class AtomicFileTests: XCTestCase {
    /// A killed write left its temporary; the next write of the same file takes it over.
    func testAStaleTemporaryFromAKilledRunIsReplaced() throws {
        let folder = temporaryFolder(), path = folder + "/x.ckpt"
        writeBytes(Array(repeating: 0xEE, count: 100_000), AtomicFile.temporaryPath(for: path))
        try AtomicFile.write([1, 2, 3], to: path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["x.ckpt"])
        XCTAssertEqual(try FileBytes.read(path), [1, 2, 3])
        XCTAssertEqual(AtomicFile.temporaryPath(for: "a/b/x.ckpt"), "a/b/.x.ckpt.partial-write")
        XCTAssertEqual(AtomicFile.temporaryPath(for: "x.ckpt"), "./.x.ckpt.partial-write")
    }

    /// A write that fails half-way (here the file-size limit, as a full disk would) throws,
    /// removes its temporary and leaves the old file as it was.
    func testAFailingWriteThrowsAndKeepsTheOldFile() throws {
        let folder = temporaryFolder(), path = folder + "/x.ckpt"
        try AtomicFile.write([9, 9], to: path)
        var old = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &old)
        var small = rlimit(rlim_cur: 4096, rlim_max: old.rlim_max)
        let previous = signal(SIGXFSZ, SIG_IGN)
        setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &small)
        let message = thrownText { try AtomicFile.write(Array(repeating: 1, count: 100_000), to: path) }
        setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &old)
        signal(SIGXFSZ, previous)
        XCTAssertEqual(message, path + ": cannot write: File too large")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["x.ckpt"])
        XCTAssertEqual(try FileBytes.read(path), [9, 9])
    }

    /// A folder that cannot be written (root ignores permissions: then a temporary path
    /// that is a folder stands in for it), and a write of the same file already under way.
    func testAnUnwritableFolderOrABusyTemporaryThrowsAndKeepsTheOldFile() throws {
        let folder = temporaryFolder(), path = folder + "/x.ckpt"
        try AtomicFile.write([5], to: path)
        if getuid() != 0 {
            XCTAssertEqual(chmod(folder, 0o555), 0)
            XCTAssertNotNil(thrownText { try AtomicFile.write([6], to: path) })
            XCTAssertEqual(chmod(folder, 0o755), 0)
        }
        try FileManager.default.createDirectory(atPath: AtomicFile.temporaryPath(for: path), withIntermediateDirectories: false)
        XCTAssertEqual(thrownText { try AtomicFile.write([6], to: path) }, path + ": cannot write: Is a directory")
        try FileManager.default.removeItem(atPath: AtomicFile.temporaryPath(for: path))
        // Another writer holds the temporary's lock: refused, its file not touched.
        let other = open(AtomicFile.temporaryPath(for: path), O_WRONLY | O_CREAT, 0o644)
        XCTAssertEqual(flock(other, LOCK_EX), 0)
        XCTAssertEqual(thrownText { try AtomicFile.write([6], to: path) },
                       path + ": cannot write: another write of this file is in progress (\(AtomicFile.temporaryPath(for: path)) is locked)")
        close(other)
        XCTAssertEqual(try FileBytes.read(path), [5])
        try AtomicFile.write([7], to: path)
        XCTAssertEqual(try FileBytes.read(path), [7])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["x.ckpt"])
    }
}

final class CSVHostileTests: XCTestCase {
    /// A one-row CSV trained on 0 samples and exited 0; now the split says what it needs.
    func testTooFewRowsForTheSplit() throws {
        let folder = temporaryFolder()
        for rows in [1, 4] {
            try (String(repeating: "1,2,0\n", count: rows)).write(toFile: folder + "/few.csv", atomically: true, encoding: .utf8)
            XCTAssertEqual(thrownText { _ = try DataSource.csv(path: folder + "/few.csv", scale: 1).load() },
                           folder + "/few.csv: has \(rows) row\(rows == 1 ? "" : "s"); the 60% / 20% / 20% split into training, validation and test needs at least 5")
        }
        try (String(repeating: "1,2,0\n", count: 5)).write(toFile: folder + "/five.csv", atomically: true, encoding: .utf8)
        let splits = try DataSource.csv(path: folder + "/five.csv", scale: 1).load()
        XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [3, 1, 1])
    }

    /// IDX files without images (or without pixels) left a split empty.
    func testMNISTWithoutImages() throws {
        func idx(_ dims: [Int], _ values: [UInt8]) -> [UInt8] {
            [0, 0, 8, UInt8(dims.count)] + dims.flatMap { d in [24, 16, 8, 0].map { UInt8(d >> $0 & 255) } } + values
        }
        let folder = temporaryFolder()
        writeBytes(idx([5001, 1, 1], Array(repeating: 1, count: 5001)), folder + "/train-images-idx3-ubyte")
        writeBytes(idx([5001], Array(repeating: 1, count: 5001)), folder + "/train-labels-idx1-ubyte")
        writeBytes(idx([0, 1, 1], []), folder + "/t10k-images-idx3-ubyte")
        writeBytes(idx([0], []), folder + "/t10k-labels-idx1-ubyte")
        XCTAssertEqual(thrownText { _ = try DataSource.mnist(directory: folder).load() },
                       folder + "/t10k-images-idx3-ubyte: holds 0 images; at least 1 are needed (they are the test split)")
        writeBytes(idx([5000, 1, 1], Array(repeating: 1, count: 5000)), folder + "/train-images-idx3-ubyte")
        writeBytes(idx([5000], Array(repeating: 1, count: 5000)), folder + "/train-labels-idx1-ubyte")
        XCTAssertEqual(thrownText { _ = try DataSource.mnist(directory: folder).load() },
                       folder + "/train-images-idx3-ubyte: holds 5000 images; at least 5001 are needed (the last 5000 are the validation split)")
        writeBytes(idx([2, 0, 3], []), folder + "/t10k-images-idx3-ubyte")
        writeBytes(idx([2], [1, 1]), folder + "/t10k-labels-idx1-ubyte")
        writeBytes(idx([5001, 1, 1], Array(repeating: 1, count: 5001)), folder + "/train-images-idx3-ubyte")
        writeBytes(idx([5001], Array(repeating: 1, count: 5001)), folder + "/train-labels-idx1-ubyte")
        XCTAssertEqual(thrownText { _ = try DataSource.mnist(directory: folder).load() },
                       folder + "/t10k-images-idx3-ubyte: images of 0x3 pixels hold no values")
    }
}

/// Model descriptions whose parameters or per-sample activations pass their limits are
/// refused when read: a 100-byte file cannot make training allocate gigabytes.
final class ModelDescriptionLimitTests: XCTestCase {
    func testParametersAndActivationsAreBounded() {
        func problem(_ text: String) -> String? {
            do { _ = try ModelDescription(parsing: text, source: "m.model"); return nil } catch { return error.description }
        }
        XCTAssertEqual(problem("input 16384\ndense 16385\n"), "m.model: more than \(1 << 28) parameters")
        XCTAssertEqual(problem("input 1 8 8\nconv 1048576 1x1\nmaxpool 8\nflatten\ndense 10\n"),
                       "m.model: layer 1 'conv 1048576 1x1': more than \(1 << 22) values per sample over the layers")
        XCTAssertEqual(problem("input 4096 4096 1\nflatten\ndense 10\n"), "m.model: input shape [4096, 4096, 1] has more than \(1 << 22) values")
        XCTAssertNil(problem("input 784\ndense 1200\nrelu\ndense 10\n"))
    }
}

