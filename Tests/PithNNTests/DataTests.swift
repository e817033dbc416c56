import Foundation
@testable import PithNN
import PithTensor
import XCTest

final class DataTests: XCTestCase {
    /// IDX bytes: magic 0 0 8 rank, big-endian sizes, values.
    func idx(_ dims: [Int], _ values: [UInt8]) -> [UInt8] {
        var b: [UInt8] = [0, 0, 8, UInt8(dims.count)]
        for d in dims { b += [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        return b + values
    }

    func gzip(_ bytes: [UInt8], in folder: String) throws -> [UInt8] {
        let path = folder + "/plain"
        writeBytes(bytes, path)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-kf", path]
        try p.run()
        p.waitUntilExit()
        return [UInt8](FileManager.default.contents(atPath: path + ".gz")!)
    }

    /// MNIST's files may be gzip-compressed; a truncated or corrupt stream, a missing file
    /// and a folder are refused naming the file.
    func testGzipIDXAndCorruption() throws {
        let folder = temporaryFolder()
        let packed = try gzip(idx([3], [7, 8, 9]), in: folder)
        writeBytes(packed, folder + "/ok.gz")
        XCTAssertEqual(try DataReader.idx(folder + "/ok.gz").values, .uint8([7, 8, 9]))
        writeBytes(Array(packed.prefix(packed.count - 10)), folder + "/short.gz")
        XCTAssertThrowsError(try DataReader.idx(folder + "/short.gz")) { XCTAssert("\($0)".contains("truncated"), "\($0)") }
        var corrupt = packed
        for i in 12..<min(20, corrupt.count - 8) { corrupt[i] ^= 0xFF }
        writeBytes(corrupt, folder + "/corrupt.gz")
        XCTAssertThrowsError(try DataReader.idx(folder + "/corrupt.gz")) { XCTAssert("\($0)".contains("corrupt.gz: "), "\($0)") }
        XCTAssertThrowsError(try DataReader.idx(folder + "/missing")) { XCTAssertEqual("\($0)", folder + "/missing: no such file") }
        XCTAssertThrowsError(try DataReader.idx(folder)) { XCTAssert("\($0)".contains("is a directory"), "\($0)") }
        // A bad header names the file (PithIO's IDX reader, as a PithError).
        writeBytes(idx([5], [1, 2, 3]), folder + "/five")
        XCTAssertEqual(thrownText { _ = try DataReader.idx(folder + "/five") }, folder + "/five: truncated: the header declares 5 = 5 values (5 bytes) but only 3 bytes follow")
    }

    func testMNISTCountsThatDisagree() throws {
        let folder = temporaryFolder()
        writeBytes(idx([3, 2, 2], Array(repeating: 1, count: 12)), folder + "/train-images-idx3-ubyte")
        writeBytes(idx([2], [1, 2]), folder + "/train-labels-idx1-ubyte")
        writeBytes(idx([1, 2, 2], Array(repeating: 1, count: 4)), folder + "/t10k-images-idx3-ubyte")
        writeBytes(idx([1], [3]), folder + "/t10k-labels-idx1-ubyte")
        XCTAssertThrowsError(try DataSource.mnist(directory: folder).load()) { error in
            XCTAssertEqual("\(error)", "\(folder)/train-labels-idx1-ubyte: 2 labels but \(folder)/train-images-idx3-ubyte has 3 images")
        }
        writeBytes(idx([3], [1, 2, 12]), folder + "/train-labels-idx1-ubyte")
        XCTAssertThrowsError(try DataSource.mnist(directory: folder).load()) { error in
            XCTAssert("\(error)".contains("label 12 at index 2 is not a digit"), "\(error)")
        }
    }

    func testRealMNISTIfPresent() throws {
        let dir = repositoryRoot + "/../shared/data/mnist"
        guard FileManager.default.fileExists(atPath: dir + "/t10k-labels-idx1-ubyte.gz") else {
            throw XCTSkip("MNIST not present at \(dir)")
        }
        let labels = try DataReader.idx(dir + "/t10k-labels-idx1-ubyte.gz")
        XCTAssertEqual(labels.shape, [10_000])
        XCTAssertEqual(labels.integers()?.prefix(5), [7, 2, 1, 0, 4])
    }

    func testEmbeddedDigits() throws {
        let s = try DataSource.digits.load()
        XCTAssertEqual(s.train.count + s.validation.count + s.test.count, 1797)
        XCTAssertEqual(s.train.sampleShape, [1, 8, 8])
        XCTAssert(s.train.features.allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertEqual(Set(s.test.labels).count, 10)
    }
}

final class AugmentationTests: XCTestCase {
    /// Each sample moves by its own (dy, dx) within ±shift, zeros moved in; the draws are
    /// the generator's, in order, so a seeded run repeats.
    func testShiftMovesEachSampleWithinTheLimit() {
        let x = Tensor((0..<(3 * 2 * 5 * 5)).map { Float($0 % 50 + 1) }, shape: [3, 2, 5, 5])
        var rng = PithRandom(seed: 11)
        let y = Augmentation(shift: 2).apply(x, sampleShape: [2, 5, 5], rng: &rng)
        var replay = PithRandom(seed: 11)
        for b in 0..<3 {
            let dy = Int(replay.next() % 5) - 2, dx = Int(replay.next() % 5) - 2
            for c in 0..<2 { for i in 0..<5 { for j in 0..<5 {
                let (si, sj) = (i - dy, j - dx)
                let expected: Float = (0..<5).contains(si) && (0..<5).contains(sj) ? x.data[((b * 2 + c) * 5 + si) * 5 + sj] : 0
                XCTAssertEqual(y.data[((b * 2 + c) * 5 + i) * 5 + j], expected, "sample \(b) shift (\(dy), \(dx))")
            } } }
        }
        // Flat square samples (an MLP's 784 inputs) are shifted as images.
        let flat = Tensor((0..<16).map(Float.init), shape: [1, 16])
        var r1 = PithRandom(seed: 3), r2 = PithRandom(seed: 3)
        XCTAssertEqual(Augmentation(shift: 1).apply(flat, sampleShape: [16], rng: &r1).scalars,
                       Augmentation(shift: 1).apply(Tensor(flat.scalars, shape: [1, 1, 4, 4]), sampleShape: [1, 4, 4], rng: &r2).scalars)
        XCTAssertNotNil(Augmentation(shift: 1).problem(sampleShape: [10]))
        XCTAssertNotNil(Augmentation(shift: 8).problem(sampleShape: [1, 8, 8]))
        XCTAssertNil(Augmentation(shift: 2).problem(sampleShape: [784]))
    }

    /// Mixup: with one-hot samples eᵢ, output i is λᵢ·eᵢ + (1 − λᵢ)·e_π(i), π and the λᵢ
    /// drawn in order from the generator (so a seeded run repeats); the mixtures are
    /// convex and some are far from either image.
    func testMixupBlendsEachSampleWithAPermutedPartner() {
        let n = 64
        let x = Tensor((0..<(n * n)).map { $0 / n == $0 % n ? 1 : 0 }, shape: [n, n])
        var rng = PithRandom(seed: 9)
        let y = Augmentation(mixup: 0.4).apply(x, sampleShape: [n], rng: &rng)
        var replay = PithRandom(seed: 9)
        let partner = replay.permutation(n)
        var lambdas: [Float] = []
        for i in 0..<n {
            let lambda = replay.nextBeta(0.4, 0.4)
            lambdas.append(lambda)
            var expected = [Float](repeating: 0, count: n)
            expected[i] += lambda
            expected[partner[i]] += 1 - lambda
            let row = (0..<n).map { y.data[i * n + $0] }
            for j in 0..<n { XCTAssertEqual(row[j], expected[j], accuracy: 1e-6, "sample \(i), value \(j)") }
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-6)
        }
        XCTAssertEqual(partner.sorted(), Array(0..<n))
        XCTAssert(lambdas.contains { $0 > 0.2 && $0 < 0.8 }, "no sample was mixed")
        XCTAssertNotNil(Augmentation(mixup: -1).problem(sampleShape: [n]))
        XCTAssertNotNil(Augmentation(mixup: .nan).problem(sampleShape: [n]))
        XCTAssertNil(Augmentation(mixup: 1).problem(sampleShape: [n]))
    }

    /// A checkpoint's augmentation field: without mixup exactly what older versions wrote
    /// (and read back as no mixup); with it, the value round-trips.
    func testMixupIsWrittenOnlyWhenUsed() throws {
        XCTAssertEqual(String(decoding: try JSONEncoder().encode(Augmentation(shift: 2)), as: UTF8.self), #"{"shift":2}"#)
        XCTAssertEqual(try JSONDecoder().decode(Augmentation.self, from: Data(#"{"shift":2}"#.utf8)), Augmentation(shift: 2))
        let mixed = Augmentation(shift: 1, mixup: 0.5)
        XCTAssertEqual(try JSONDecoder().decode(Augmentation.self, from: JSONEncoder().encode(mixed)), mixed)
        let warped = Augmentation(shift: 1, rotate: 10, scale: 0.1)
        XCTAssertEqual(try JSONDecoder().decode(Augmentation.self, from: JSONEncoder().encode(warped)), warped)
    }

    /// A rotation by 90° maps the pixel grid onto itself: output (y, x) reads input
    /// (x, W − 1 − y) exactly; by 0° at factor 1 the image is unchanged.
    func testWarpByRightAnglesPermutesPixels() {
        let h = 6, w = 6
        let src = (0..<(2 * h * w)).map { Float($0 + 1) }
        var out = [Float](repeating: -1, count: src.count)
        src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { o in
            Augmentation.warp(UnsafeMutablePointer(mutating: s.baseAddress!), into: o.baseAddress!, channels: 2, height: h, width: w, degrees: 90, factor: 1)
        } }
        for c in 0..<2 { for y in 0..<h { for x in 0..<w {
            XCTAssertEqual(out[(c * h + y) * w + x], src[(c * h + x) * w + (w - 1 - y)], accuracy: 1e-4, "channel \(c) (\(y), \(x))")
        } } }
        src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { o in
            Augmentation.warp(UnsafeMutablePointer(mutating: s.baseAddress!), into: o.baseAddress!, channels: 2, height: h, width: w, degrees: 0, factor: 1)
        } }
        XCTAssertEqual(out, src)
    }

    /// Bilinear sampling reproduces a linear ramp f(y, x) = 3x − 2y + 5 wherever all four
    /// neighbours lie inside: zooming by 2 about the centre c reads f at c + (p − c)/2; pixels
    /// whose source falls outside read 0 from the missing neighbours.
    func testWarpZoomInterpolatesBilinearly() {
        let n = 8
        let c = Float(n - 1) / 2
        func f(_ y: Float, _ x: Float) -> Float { 3 * x - 2 * y + 5 }
        let src = (0..<(n * n)).map { f(Float($0 / n), Float($0 % n)) }
        var out = [Float](repeating: 0, count: n * n)
        src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { o in
            Augmentation.warp(UnsafeMutablePointer(mutating: s.baseAddress!), into: o.baseAddress!, channels: 1, height: n, width: n, degrees: 0, factor: 2)
        } }
        for y in 0..<n { for x in 0..<n {
            XCTAssertEqual(out[y * n + x], f(c + (Float(y) - c) / 2, c + (Float(x) - c) / 2), accuracy: 1e-4, "(\(y), \(x))")
        } }
        // Zooming out by 1/2 reads outside for the border: the corner's source (−3.5, −3.5) has no neighbour.
        src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { o in
            Augmentation.warp(UnsafeMutablePointer(mutating: s.baseAddress!), into: o.baseAddress!, channels: 1, height: n, width: n, degrees: 0, factor: 0.5)
        } }
        XCTAssertEqual(out[0], 0)
        XCTAssertEqual(out[3 * n + 3], f(c + (3 - c) * 2, c + (3 - c) * 2), accuracy: 1e-4)
    }

    /// Each sample's angle and factor are the generator's next two draws, in order, within
    /// ±rotate and 1 ± scale; out-of-range settings and non-images are refused.
    func testRotateAndScaleDrawPerSample() {
        let x = Tensor((0..<(4 * 49)).map { Float($0 % 13) }, shape: [4, 49])
        var rng = PithRandom(seed: 21)
        let a = Augmentation(rotate: 15, scale: 0.2)
        let y = a.apply(x, sampleShape: [49], rng: &rng)
        var replay = PithRandom(seed: 21)
        var expected = [Float](repeating: 0, count: 49)
        for b in 0..<4 {
            let degrees = (2 * replay.nextFloat() - 1) * 15, factor = 1 + (2 * replay.nextFloat() - 1) * 0.2
            XCTAssert(abs(degrees) <= 15 && abs(factor - 1) <= 0.2)
            expected.withUnsafeMutableBufferPointer { e in
                Augmentation.warp(x.data + b * 49, into: e.baseAddress!, channels: 1, height: 7, width: 7, degrees: degrees, factor: factor)
            }
            XCTAssertEqual(Array(y.scalars[(b * 49)..<((b + 1) * 49)]), expected, "sample \(b)")
        }
        XCTAssertNotEqual(y.scalars, x.scalars)
        XCTAssertNotNil(Augmentation(rotate: 181).rangeProblem)
        XCTAssertNotNil(Augmentation(rotate: .nan).rangeProblem)
        XCTAssertNotNil(Augmentation(scale: 0.6).rangeProblem)
        XCTAssertNotNil(Augmentation(scale: -0.1).rangeProblem)
        XCTAssertNotNil(Augmentation(rotate: 10).problem(sampleShape: [10]))
        XCTAssertNil(Augmentation(rotate: 10, scale: 0.1).problem(sampleShape: [784]))
    }
}
