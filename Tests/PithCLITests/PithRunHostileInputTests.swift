import Foundation
@testable import PithFormat
import XCTest

/// pith-run and `pith verify` on hostile but well-formed inputs: sizes whose product
/// overflows, headers that lie about their data, a model that computes a value nobody
/// reads, a trailer past the end of its executable, a file the format accepts but the
/// runtime does not, output that cannot be written. Each gets one line on stderr and an
/// exit status of 1 — never a signal.
extension CLITests {
    /// x (4 floats) → Dense 4→3 → y, written with the format's own writer.
    func denseModel(in folder: String, extraUnreadSoftmax: Bool = false, secondOutput: Bool = false) throws -> String {
        var m = PithModel(metadata: Metadata(), tensors: [], graph: Graph(inputs: [], outputs: [], nodes: []), data: [])
        let x = m.addValue("x", dtype: .float32, shape: [4])
        let w = m.addConstant("w", dtype: .float32, shape: [3, 4], bytes: littleEndianBytes((0 ..< 12).map { Float($0 % 5) - 2 }))
        let y = m.addValue("y", dtype: .float32, shape: [3])
        var nodes = [Node(op: .dense, name: "fc", inputs: [x, w], outputs: [y])]
        if extraUnreadSoftmax {
            let p = m.addValue("p", dtype: .float32, shape: [3])
            nodes.append(Node(op: .softmax, name: "softmax", inputs: [y], outputs: [p]))
        }
        m.graph = Graph(inputs: [x], outputs: secondOutput ? [y, x] : [y], nodes: nodes)
        let path = folder + "/dense-\(extraUnreadSoftmax)-\(secondOutput).pith"
        try Data(try PithWriter.encode(m, validate: !extraUnreadSoftmax).bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func assertOneLineFailure(_ r: Output, _ fragment: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, "\(what): status \(r.status), stderr '\(r.stderr)'", file: file, line: line)
        XCTAssert(r.stderr.contains(fragment), "\(what): '\(r.stderr)' should contain '\(fragment)'", file: file, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(what): \(r.stderr)", file: file, line: line)
    }

    func testPithRunRefusesLyingInputsWithOneLine() throws {
        let folder = temporaryFolder(), model = try denseModel(in: folder)
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        let cases: [(name: String, bytes: [UInt8], fragment: String)] = [
            // Sample sizes whose product overflows Int (it trapped: exit 132).
            ("overflow.idx", [0, 0, 8, 4] + be32(1) + be32(.max) + be32(.max) + be32(.max) + [1, 2, 3, 4], "are too large"),
            ("count.idx", [0, 0, 8, 2] + be32(.max) + be32(4) + [1, 2, 3, 4], "IDX sizes 4294967295x4 are too large: more than the 268435456-value limit"),
            ("type.idx", [0, 0, 0x0A, 2] + be32(1) + be32(4) + [0, 1, 0, 2, 0, 3, 0, 4], "IDX value type 0x0a is not read"),
            // A .npy header whose shape the data does not fill (it ran as one sample).
            ("lying.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999, 4), }", Array(repeating: 0, count: 64)), "needs 1599984 bytes"),
            ("width.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }", Array(repeating: 0, count: 48)), "samples of 3 values, the model takes 4"),
            ("order.npy", npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 4), }", Array(repeating: 0, count: 16)), "'fortran_order' must be False"),
            // One CSV line far longer than any sample (it was split into a String per field).
            ("long.csv", Array("1,2,3,".utf8) + Array(repeating: UInt8(ascii: "9"), count: 1 << 20) + [10], "column 4"),
            ("wide.csv", Array(String(repeating: "1,", count: 100_000).utf8) + [49, 10], "100001 columns"),
        ]
        for c in cases {
            try Data(c.bytes).write(to: URL(fileURLWithPath: folder + "/" + c.name))
            assertOneLineFailure(try run([model, folder + "/" + c.name], executable: "pith-run"), c.fragment, c.name)
        }
        // Labels: more lines than samples stop at the first one too many.
        try Data([0, 0, 8, 2] + be32(1) + be32(4) + [1, 2, 3, 4]).write(to: URL(fileURLWithPath: folder + "/one.idx"))
        try Data(Array(String(repeating: "1\n", count: 100_000).utf8)).write(to: URL(fileURLWithPath: folder + "/labels.txt"))
        assertOneLineFailure(try run([model, folder + "/one.idx", "--labels", folder + "/labels.txt"], executable: "pith-run"), "labels.txt:2: more rows than the 1 expected", "labels")
    }

    /// IDX float32 (type 0x0D, big-endian) is read as floats, not as raw bytes: the same
    /// predictions as the same values in a raw float32 file.
    func testPithRunReadsIDXFloats() throws {
        let folder = temporaryFolder(), model = try denseModel(in: folder)
        let values: [Float] = [0.5, -1.25, 3, 0.125, 2, 0, -0.5, 1]
        let bigEndian = values.flatMap { v -> [UInt8] in let b = v.bitPattern; return [UInt8(b >> 24), UInt8(b >> 16 & 255), UInt8(b >> 8 & 255), UInt8(b & 255)] }
        try Data([0, 0, 0x0D, 2, 0, 0, 0, 2, 0, 0, 0, 4] + bigEndian).write(to: URL(fileURLWithPath: folder + "/x.idx"))
        try Data(littleEndianBytes(values)).write(to: URL(fileURLWithPath: folder + "/x.f32"))
        let idx = try run([model, folder + "/x.idx"], executable: "pith-run"), raw = try run([model, folder + "/x.f32"], executable: "pith-run")
        XCTAssertEqual(idx.status, 0, idx.stderr)
        XCTAssertEqual(idx.stdout.split(separator: "\n").count, 2, idx.stdout)
        XCTAssertEqual(idx.stdout, raw.stdout)
    }

    /// A value nobody reads: the format refuses the file (its plan overlapped live
    /// buffers and the output changed); a file the format takes but the runtime cannot
    /// run: `pith verify` refuses it as pith-run does; lost output is an error.
    func testVerifyAgreesWithTheRuntimeAndLostOutputFails() throws {
        let folder = temporaryFolder()
        try Data(littleEndianBytes([Float](repeating: 1, count: 4))).write(to: URL(fileURLWithPath: folder + "/x.f32"))
        let unread = try denseModel(in: folder, extraUnreadSoftmax: true)
        assertOneLineFailure(try run([unread, folder + "/x.f32"], executable: "pith-run"), "its output 'p' is read by no node", "pith-run, unread value")
        assertOneLineFailure(try run(["verify", unread]), "its output 'p' is read by no node", "verify, unread value")
        let twoOutputs = try denseModel(in: folder, secondOutput: true)
        assertOneLineFailure(try run([twoOutputs, folder + "/x.f32"], executable: "pith-run"), "outputs (one of each)", "pith-run, two outputs")
        assertOneLineFailure(try run(["verify", twoOutputs]), "the runtime refuses it: node 'graph': not supported: 1 inputs and 2 outputs", "verify, two outputs")
        let good = try denseModel(in: folder)
        XCTAssertEqual(try run(["verify", good]).status, 0)
        // stdout on a full device: exit 1 with one line, not 0.
        let full = try program(tool("pith-run").path, [good, folder + "/x.f32"], stdout: FileHandle(forWritingAtPath: "/dev/full"))
        assertOneLineFailure(full, "cannot write the output: No space left on device", "stdout on /dev/full")
    }

    /// Runs `path` with `arguments`, stdout to `stdout` (or discarded).
    func program(_ path: String, _ arguments: [String], stdout: FileHandle? = nil) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.environment = [:]
        p.standardOutput = stdout ?? FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: "", stderr: e)
    }

    /// A standalone executable whose trailer's offset + length overflows (it trapped).
    func testAStandaloneTrailerPastTheEndIsRefused() throws {
        let runner = CLITests.root + "/.build-embedded/runner/pith-run"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: runner), "run tools/build-runner first (tools/test does)")
        let folder = temporaryFolder(), exe = folder + "/classifier"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: runner)))
        bytes += StandaloneTrailer.encode(offset: Int.max - 10, length: 100)
        try Data(bytes).write(to: URL(fileURLWithPath: exe))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: exe)
        assertOneLineFailure(try program(exe, ["x"]), "the embedded model's trailer (offset 9223372036854775797, length 100) does not fit", "trailer")
    }

    func npy(_ header: String, _ data: [UInt8]) -> [UInt8] {
        let padded = header + String(repeating: " ", count: (64 - (10 + header.count + 1) % 64) % 64) + "\n"
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(padded.utf8.count), 0] + Array(padded.utf8) + data
    }
}
