import Foundation
import PithNN
@testable import PithPipeline
import XCTest

/// Recipes as typed settings, in process: keys set the stage's settings, with their kinds
/// and ranges checked; the built-in models are the repository's models/.
final class RecipeSettingsTests: XCTestCase {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    func recipe(_ text: String) throws(PithError) -> Recipe { try Recipe(parsing: Array(text.utf8), path: "t.recipe") }

    func testKeysSetTypedSettings() throws {
        let r = try recipe(#"""
            { "name": "x", "data": "digits", "seed": 7,
              "teacher": { "model": "m", "epochs": 3, "schedule": "cosine", "lr": 0.01, "qat": true },
              "student": { "model": "s", "temperature": 4, "alpha": 0.5, "cache-logits": true, "seed": 9 },
              "quantize": { "calibration": 100, "method": "percentile", "percentile": 99.9 } }
            """#)
        let (t, q) = try r.teacherSettings()
        XCTAssertEqual(t.epochs, 3)
        XCTAssertEqual(t.schedule, .cosine)
        XCTAssertEqual(t.lr, 0.01)
        XCTAssertEqual(t.seed, 7, "the recipe's seed")
        XCTAssertTrue(q.qat)
        let (st, d) = try XCTUnwrap(try r.studentSettings())
        XCTAssertEqual(st.seed, 9, "a stage's own seed wins")
        XCTAssertEqual(d.temperature, 4)
        XCTAssertEqual(d.alpha, 0.5)
        XCTAssertTrue(d.cacheLogits)
        let qs = try r.quantizeSettings()
        XCTAssertEqual(qs.calibration, 100)
        XCTAssertEqual(qs.method, .percentile)
        XCTAssertEqual(qs.percentile, 99.9)
        XCTAssertEqual(r.teacher.arguments, ["--epochs=3", "--lr=0.01", "--qat", "--schedule=cosine"])
    }

    func testBadKeysAndValuesNameTheStage() throws {
        let cases: [(String, String)] = [
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "m", "epocs": 3 } }"#, "teacher: unknown option 'epocs'"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "m", "epochs": "3" } }"#, "teacher: 'epochs' must be a whole number"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "m", "optimizer": "lion" } }"#, "teacher: 'optimizer' must be one of"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "m", "temperature": 4 } }"#, "teacher: unknown option 'temperature'"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "m" }, "student": { "model": "s", "alpha": 2 } }"#, "student: --alpha must be within [0, 1]"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "m" }, "quantize": { "calibration": 0 } }"#, "quantize: --calibration must be between"),
            (#"{ "name": "x", "data": "digits", "teacher": { "model": "m", "lr": 1e39 } }"#, "teacher: 'lr' must be a number"),
        ]
        for (text, fragment) in cases {
            do {
                let r = try recipe(text)
                _ = try r.teacherSettings()
                _ = try r.studentSettings()
                _ = try r.quantizeSettings()
                XCTFail("accepted: \(text)")
            } catch {
                XCTAssert(error.description.contains(fragment), "\(text): \(error.description)")
                XCTAssert(error.description.hasPrefix("t.recipe"), error.description)
            }
        }
    }

    /// Every file of models/ is built in, byte for byte (run tools/embed-models after editing).
    func testBuiltinModelsAreTheRepositorys() throws {
        let folder = Self.root + "/models"
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".model") || $0.hasSuffix(".recipe") }
        XCTAssertFalse(names.isEmpty)
        XCTAssertEqual(Set(names), Set(BuiltinModels.files.keys), "run tools/embed-models")
        for name in names {
            let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            XCTAssertEqual(BuiltinModels.files[name], text, "\(name) differs from its built-in copy: run tools/embed-models")
        }
        // Found without a models folder.
        let found = try ModelFiles.locate("digits", modelsDirectory: "/nonexistent", extension: "recipe", kind: "recipe", limit: 1 << 20)
        XCTAssertTrue(found.builtIn)
        XCTAssertThrowsError(try ModelFiles.locate("no-such", modelsDirectory: "/nonexistent", extension: "model", kind: "model", limit: 1 << 20))
    }
}
