import Foundation
import XCTest

/// Your own table end to end: a CSV with a header row, string class labels and features far
/// outside [0, 1], through `pith pipeline`.
extension CLITests {
    /// A two-class table of `rows` rows and 30 features whose scales run from 0.01 to 1000
    /// (as the breast-cancer set's do); every third feature moves with the class. Seeded, so
    /// the same every run.
    func writeTable(_ path: String, rows: Int = 400) throws {
        var state: UInt64 = 0x5eed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        func gaussian() -> Double { (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * .pi * uniform()) }
        let scales = (0..<30).map { j in pow(10, -2 + 5 * Double(j) / 29) }
        var lines = [((0..<30).map { "feature \($0)" } + ["diagnosis"]).joined(separator: ",")]
        for _ in 0..<rows {
            let malignant = uniform() < 0.4
            let features = scales.enumerated().map { j, s in s * (1 + (malignant && j % 3 == 0 ? 0.6 : 0) + 0.3 * gaussian()) }
            lines.append(features.map { String(format: "%.6g", $0) }.joined(separator: ",") + "," + (malignant ? "malignant" : "benign"))
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    func testPipelineOnYourOwnTable() throws {
        let folder = temporaryFolder()
        try writeTable(folder + "/cancer.csv")
        try "name table-teacher\ninput 30\ndense 64\nrelu\ndense 2\n".write(toFile: folder + "/teacher.model", atomically: true, encoding: .utf8)
        try "name table-student\ninput 30\ndense 8\nrelu\ndense 2\n".write(toFile: folder + "/student.model", atomically: true, encoding: .utf8)
        try """
            { "name": "cancer", "data": { "name": "cancer.csv", "label-column": "diagnosis" }, "seed": 1,
              "teacher": { "model": "teacher.model", "epochs": 30, "batch-size": 32 },
              "student": { "model": "student.model", "epochs": 30, "batch-size": 32, "temperature": 4, "alpha": 0.5 },
              "quantize": { "calibration": 240 } }
            """.write(toFile: folder + "/cancer.recipe", atomically: true, encoding: .utf8)
        let r = try run(["pipeline", "cancer.recipe", "-o", "out", "--threads", "2"], in: folder)
        XCTAssertEqual(r.status, 0, r.stderr)
        let s = try stages(folder + "/out")
        func figures(_ stage: String) throws -> [String: Any] { try XCTUnwrap(s[stage]?["figures"] as? [String: Any], stage) }
        let int8 = try figures("quantize"), exe = try figures("run"), student = try figures("student")
        XCTAssertEqual(int8["testErrors"] as? Int, exe["testErrors"] as? Int, "runtime and executable")
        XCTAssertNil(exe["disagreement"])
        // Standardization in front of the integer graph keeps every feature: int8 within a
        // point of the float student, and far above chance (60%).
        let a8 = try XCTUnwrap(int8["testAccuracy"] as? Double), af = try XCTUnwrap(student["testAccuracy"] as? Double)
        XCTAssertGreaterThan(a8, 0.9, r.stdout)
        XCTAssertLessThanOrEqual(abs(a8 - af), 0.0125 + 1e-9, r.stdout)
        // The file names the classes; the executable prints them, from raw features.
        let json = try run(["out/model.pith", "out/test-inputs.idx", "--json"], in: folder, executable: "pith-run")
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssert(json.stdout.contains("\"class\":\"malignant\"") && json.stdout.contains("\"class\":\"benign\""), String(json.stdout.prefix(300)))
        let raw = try String(contentsOfFile: folder + "/cancer.csv", encoding: .utf8).split(separator: "\n")[1]
        let one = folder + "/one.csv"
        try (raw.split(separator: ",").dropLast().joined(separator: ",") + "\n").write(toFile: one, atomically: true, encoding: .utf8)
        let (status, printed) = try runProgram(folder + "/out/classifier", [one])
        XCTAssertEqual(status, 0)
        XCTAssert(printed.contains("malignant") || printed.contains("benign"), printed)
    }
}
