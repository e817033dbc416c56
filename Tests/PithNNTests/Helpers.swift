import Foundation
import PithNN

/// The repository root (for models/ and the shared data).
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// A fresh empty folder under the system temporary folder.
func temporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "pith-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A small model for fast training tests on the 8x8 digits.
func tinyDigitsModel() throws -> ModelDescription {
    try ModelDescription(parsing: "name tiny\ninput 1 8 8\nflatten\ndense 24\nrelu\ndropout 0.1\ndense 10\n", source: "tiny")
}

/// The digits splits cut down so that debug-build tests stay fast.
func smallDigits() throws -> DataSplits {
    let s = try DataSource.digits.load()
    return DataSplits(train: s.train.slice(0..<400), validation: s.validation.slice(0..<100), test: s.test)
}

func writeBytes(_ bytes: [UInt8], _ path: String) {
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
}
