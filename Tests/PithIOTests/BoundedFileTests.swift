import Foundation
import PithIO
import XCTest

final class BoundedFileTests: XCTestCase {
    func testReadsRegularFilesWithinTheLimit() throws {
        let folder = NSTemporaryDirectory() + "pithio-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: folder + "/eleven", contents: Data(repeating: 7, count: 11))
        XCTAssertEqual(try BoundedFile.read(folder + "/eleven", limit: 11), Array(repeating: 7, count: 11))
        XCTAssertEqual(failure { try BoundedFile.read(folder + "/eleven", limit: 10) }, folder + "/eleven: is larger than 10 bytes")
        XCTAssertEqual(failure { try BoundedFile.read(folder + "/none", limit: 10) }, folder + "/none: no such file")
        XCTAssertEqual(failure { try BoundedFile.read(folder, limit: 10) }, folder + ": is a directory, not a regular file")
        XCTAssertEqual(failure { try BoundedFile.read("/dev/zero", limit: 10) }, "/dev/zero: is not a regular file (a device, pipe or socket)")
        XCTAssertTrue(BoundedFile.exists(folder + "/eleven"))
        XCTAssertFalse(BoundedFile.exists(folder))
        XCTAssertFalse(BoundedFile.exists(folder + "/none"))
    }
}
