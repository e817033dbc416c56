import Foundation
import PithNN
import XCTest

/// A record another module owns, kept in a checkpoint: written back as the owner wrote it.
final class JSONValueTests: XCTestCase {
    struct Owned: Codable, Equatable {
        var name: String
        var flags: [Bool]
        var small: Float
        var count: Int
        var nested: [String: Double]?
        var missing: Int?
    }

    func testRoundTripsTheOwnersBytes() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let values = [
            Owned(name: "a/b \"c\"", flags: [true, false], small: 0.1, count: 3, nested: ["x": 1e-8, "y": -2.5], missing: nil),
            Owned(name: "", flags: [], small: 3.7, count: -9_007_199_254_740_992, nested: nil, missing: 0),
        ]
        for value in values {
            let record = try JSONValue(encoding: value)
            XCTAssertEqual(try encoder.encode(record), try encoder.encode(value))
            XCTAssertEqual(try record.decode(Owned.self, field: "owned"), value)
            XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: try encoder.encode(record)), record)
        }
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: Data(#"[null, true, 1, "1"]"#.utf8)),
                       .array([.null, .bool(true), .number(1), .string("1")]))
        XCTAssertThrowsError(try JSONValue.string("x").decode(Owned.self, field: "config.owned")) {
            XCTAssertEqual("\($0)", "field 'config.owned' has the wrong type (expected Dictionary<String, Any>)")
        }
    }
}
