import PithFormat
import PithNN
import PithQuant
@testable import PithRuntime
import XCTest

/// An integer op whose int32 accumulators could overflow (a crafted bias near ±2³¹) is
/// refused at load; a bias at the bound loads and runs every kernel path to the same result.
final class AccumulatorBoundTests: XCTestCase {
    func testBiasesThatCouldOverflowAreRefused() throws {
        let k = 4
        let d = try ModelDescription(parsing: "name t\ninput \(k)\ndense 3\n", source: "t")
        let model = Model(d, seed: 1)
        let calibration = Dataset(name: "c", features: (0 ..< 8 * k).map { Float($0 % 7) / 7 }, labels: [Int32](repeating: 0, count: 8), sampleShape: [k], classes: 3)
        let quantized = try PostTrainingQuantizer.quantize(model, calibration: calibration, metadata: Metadata())
        let biasIndex = try XCTUnwrap(quantized.tensors.firstIndex { $0.dtype == .int32 && $0.role == .constant })
        let limit = Int32(Int(Int32.max) - 2 * 255 * 128 * k)
        func withBias(_ b: Int32) throws -> PithFile {
            var m = quantized
            m.data[biasIndex] = littleEndianBytes([b, -b, 0])
            return try PithFile(bytes: try PithWriter.encode(m).bytes)
        }
        for bad in [limit + 1, Int32.max, Int32.min + 1] {
            XCTAssertThrowsError(try Interpreter(file: try withBias(bad)), "bias \(bad)") { error in
                XCTAssert("\(error)".contains("could overflow"), "\(error)")
            }
        }
        let runner = try Interpreter(file: try withBias(limit))
        let out = try runner.run([1, 0, 0.5, 0.25], batch: 1)
        XCTAssertEqual(out.count, 3)
        XCTAssert(out.allSatisfy(\.isFinite))
    }
}
