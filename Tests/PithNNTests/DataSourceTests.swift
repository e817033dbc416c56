import Foundation
import PithIO
@testable import PithNN
import XCTest

/// The data layer over PithIO: CSV headers, label columns and class names, NumPy arrays,
/// and explicit training, validation and test files.
final class DataSourceTests: XCTestCase {
    func write(_ text: String, _ path: String) { writeBytes(Array(text.utf8), path) }

    /// A header row, the label column by name or by index, string labels as class names
    /// (sorted), carried into every split.
    func testCSVHeaderLabelColumnAndClassNames() throws {
        let folder = temporaryFolder(), path = folder + "/cancer.csv"
        let rows = (0..<10).map { "\($0 % 3 == 0 ? "M" : "B"),\($0),\(2 * $0)" }
        write("diagnosis,radius,texture\n" + rows.joined(separator: "\n") + "\n", path)
        for label in [CSV.LabelColumn.name("diagnosis"), .index(0)] {
            let all = try DataReader.csv(path, scale: 0.5, header: .detect, label: label, classes: .fromFile)
            XCTAssertEqual(all.classNames, ["B", "M"])
            XCTAssertEqual(all.featureNames, ["radius", "texture"])
            XCTAssertEqual(all.classes, 2)
            XCTAssertEqual(all.sampleShape, [2])
            XCTAssertEqual(Array(all.labels.prefix(4)), [1, 0, 0, 1])
            XCTAssertEqual(Array(all.features.prefix(4)), [0, 0, 0.5, 1])
            let splits = try DataSource.csv(path: path, scale: 1, label: label).load()
            XCTAssertEqual([splits.train.count, splits.validation.count, splits.test.count], [6, 2, 2])
            for split in [splits.train, splits.validation, splits.test] {
                XCTAssertEqual(split.classNames, ["B", "M"])
                XCTAssertEqual(split.featureNames, ["radius", "texture"])
            }
        }
        XCTAssertEqual(try DataSource.named(path, header: .present, label: .name("diagnosis")),
                       .csv(path: path, scale: 1, header: .present, label: .name("diagnosis")))
        XCTAssertEqual(thrownText { _ = try DataSource.csv(path: path, scale: 1, label: .name("kind")).load() },
                       path + ":1: no column is named 'kind' (the header: 'diagnosis', 'radius', 'texture')")
        write("1\n2\n3\n4\n5\n", folder + "/one.csv")
        XCTAssertEqual(thrownText { _ = try DataSource.csv(path: folder + "/one.csv", scale: 1).load() },
                       folder + "/one.csv: needs at least one feature column and a label, found 1 column")
        XCTAssertNil(try DataSource.digits.load().train.classNames)
    }

    func testNamedKnowsNPZ() throws {
        XCTAssertEqual(try DataSource.named("d.npz", csvScale: 0.5), .npz(path: "d.npz", scale: 0.5))
        XCTAssertEqual(try DataSource.named("d.csv"), .csv(path: "d.csv", scale: 1))
        XCTAssertEqual(thrownText { _ = try DataSource.named("d.txt") }, "option --data: 'd.txt' is not 'digits', 'mnist', a .csv (.csv.gz) or a .npz file")
        XCTAssertEqual(DataSource.npz(path: "d.npz").label, "d.npz")
    }

    /// np.savez(x=images, y=labels): (N, H, W) images become (1, H, W) samples.
    func testNPZAndNPYPair() throws {
        let folder = temporaryFolder()
        let pixels = (0..<40).map { UInt8($0 * 5) }, labels: [Int64] = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
        let x = NPY.encode(shape: [10, 2, 2], uint8: pixels), y = NPY.encode(shape: [10], int64: labels)
        writeBytes(NPZ.encode([("x", x), ("y", y)]), folder + "/d.npz")
        let all = try DataReader.npz(folder + "/d.npz", scale: 1.0 / 255, classes: .fromFile)
        XCTAssertEqual(all.sampleShape, [1, 2, 2])
        XCTAssertEqual(all.classes, 3)
        XCTAssertEqual(all.labels, labels.map { Int32($0) })
        XCTAssertEqual(all.features[1], 5.0 / 255, accuracy: 1e-7)
        let splits = try DataSource.npz(path: folder + "/d.npz").load()
        XCTAssertEqual(splits.train.count + splits.validation.count + splits.test.count, 10)
        // The same arrays as features/labels, and as two .npy files.
        writeBytes(NPZ.encode([("labels", y), ("features", x)]), folder + "/named.npz")
        XCTAssertEqual(try DataReader.npz(folder + "/named.npz", scale: 1, classes: .fromFile).labels, all.labels)
        writeBytes(x, folder + "/features.npy")
        writeBytes(y, folder + "/labels.npy")
        let pair = try DataReader.npy(features: folder + "/features.npy", labels: folder + "/labels.npy", scale: 1.0 / 255)
        XCTAssertEqual(pair.features, all.features)
        XCTAssertEqual(try DataSource.npy(features: folder + "/features.npy", labels: folder + "/labels.npy").load().train.sampleShape, [1, 2, 2])
        // Refusals name the file and the array.
        writeBytes(NPZ.encode([("a", x), ("b", y)]), folder + "/other.npz")
        XCTAssertEqual(thrownText { _ = try DataSource.npz(path: folder + "/other.npz").load() },
                       folder + "/other.npz: no arrays named x and y (or X and y, or features and labels); it holds 'a', 'b'")
        writeBytes(NPZ.encode([("x", x), ("y", NPY.encode(shape: [9], int64: Array(labels.prefix(9))))]), folder + "/short.npz")
        XCTAssertEqual(thrownText { _ = try DataSource.npz(path: folder + "/short.npz").load() },
                       folder + "/short.npz 'y': labels of shape 9 for 10 samples (expected (10,) or (10, 1))")
        writeBytes(NPZ.encode([("x", x), ("y", NPY.encode(shape: [10], int64: [-1] + labels.dropFirst()))]), folder + "/negative.npz")
        XCTAssertEqual(thrownText { _ = try DataSource.npz(path: folder + "/negative.npz").load() },
                       folder + "/negative.npz 'y': label -1 (sample 0) is not a class number in 0..<65536")
        writeBytes(NPZ.encode([("x", NPY.encode(shape: [10, 1], float32: [.nan] + Array(repeating: 1, count: 9))), ("y", y)]), folder + "/nan.npz")
        XCTAssertEqual(thrownText { _ = try DataSource.npz(path: folder + "/nan.npz").load() },
                       folder + "/nan.npz 'x': value 0 (sample 0) is NaN or infinite")
    }

    /// numpy's np.savez_compressed: deflated entries inflated with zlib; '<U3' string
    /// labels become class names.
    func testNumpySavezCompressed() throws {
        let folder = temporaryFolder(), path = folder + "/c.npz"
        writeBytes(numpySavezCompressed, path)
        let d = try DataReader.npz(path, scale: 1, classes: .fromFile)
        XCTAssertEqual(d.features, [1.5, -2, 3, 4, 5, 6.25])
        XCTAssertEqual(d.classNames, ["cat", "dog"])
        XCTAssertEqual(d.labels, [1, 0])
        var corrupt = numpySavezCompressed
        corrupt[70] ^= 0xFF
        writeBytes(corrupt, folder + "/corrupt.npz")
        let message = thrownText { _ = try DataReader.npz(folder + "/corrupt.npz", scale: 1, classes: .fromFile) } ?? ""
        XCTAssert(message.hasPrefix(folder + "/corrupt.npz: entry 'x.npy'"), message)
    }

    /// Three files: the training file's classes rule the other two, and a label the training
    /// file lacks is refused, naming the file and the line (CSV) or the row.
    func testExplicitFilesShareTheTrainingClasses() throws {
        let folder = temporaryFolder()
        write("r,t,kind\n1,2,M\n3,4,B\n5,6,M\n", folder + "/train.csv")
        write("r,t,kind\n7,8,M\n", folder + "/validation.csv")
        write("r,t,kind\n9,10,B\n11,12,M\n", folder + "/test.csv")
        let files = DataFiles(train: folder + "/train.csv", validation: folder + "/validation.csv", test: folder + "/test.csv", label: .name("kind"))
        let splits = try DataSource.files(files).load()
        XCTAssertEqual(splits.train.classNames, ["B", "M"])
        XCTAssertEqual(splits.validation.labels, [1], "M is class 1 as in training, though it is the file's only class")
        XCTAssertEqual(splits.test.labels, [0, 1])
        XCTAssertEqual(splits.validation.classes, 2)
        XCTAssertEqual(splits.test.featureNames, ["r", "t"])
        XCTAssertEqual(DataSource.files(files).label, folder + "/train.csv")
        write("r,t,kind\n7,8,X\n", folder + "/unseen.csv")
        var bad = files
        bad.validation = folder + "/unseen.csv"
        XCTAssertEqual(thrownText { _ = try bad.load() },
                       folder + "/unseen.csv:2: label 'X' is not one of the 2 classes of the training file \(folder)/train.csv ('B', 'M')")
        // Class numbers: one the training file never has is refused too.
        write("1,2,0\n3,4,2\n", folder + "/ntrain.csv")
        write("5,6,1\n", folder + "/nvalidation.csv")
        let numbers = DataFiles(train: folder + "/ntrain.csv", validation: folder + "/nvalidation.csv", test: folder + "/ntrain.csv")
        XCTAssertEqual(thrownText { _ = try numbers.load() },
                       folder + "/nvalidation.csv: label 1 (data row 1) does not appear in the training file \(folder)/ntrain.csv")
        write("r,u,kind\n7,8,M\n", folder + "/renamed.csv")
        bad.validation = folder + "/renamed.csv"
        XCTAssertEqual(thrownText { _ = try bad.load() },
                       folder + "/renamed.csv: its header names the feature columns otherwise than the training file \(folder)/train.csv")
        bad.validation = folder + "/x.npz"
        XCTAssertEqual(thrownText { _ = try bad.load() }, "option data files: '\(folder)/x.npz' is not a .csv file like the training file '\(folder)/train.csv'")
        // NPZ files: string labels mapped by the training file's names.
        writeBytes(numpySavezCompressed, folder + "/c.npz")
        let dogs = NPZ.encode([("x", NPY.encode(shape: [1, 3], float32: [1, 2, 3])), ("y", npyStrings(["dog"]))])
        writeBytes(dogs, folder + "/dogs.npz")
        let npz = try DataFiles(train: folder + "/c.npz", validation: folder + "/dogs.npz", test: folder + "/c.npz").load()
        XCTAssertEqual(npz.validation.labels, [1])
        XCTAssertEqual(npz.validation.classNames, ["cat", "dog"])
        writeBytes(NPZ.encode([("x", NPY.encode(shape: [1, 3], float32: [1, 2, 3])), ("y", npyStrings(["emu"]))]), folder + "/emu.npz")
        XCTAssertEqual(thrownText { _ = try DataFiles(train: folder + "/c.npz", validation: folder + "/emu.npz", test: folder + "/c.npz").load() },
                       folder + "/emu.npz 'y': label 'emu' (sample 0) is not one of the 2 classes of the training file \(folder)/c.npz")
    }

    /// A '<U…' .npy array of `strings` (ASCII), as np.array(strings) saves it.
    func npyStrings(_ strings: [String]) -> [UInt8] {
        let width = strings.map(\.utf8.count).max() ?? 1
        let header = "{'descr': '<U\(width)', 'fortran_order': False, 'shape': (\(strings.count),), }"
        let padded = header + String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var data: [UInt8] = []
        for s in strings {
            let scalars = Array(s.utf8)
            for i in 0..<width { data += [i < scalars.count ? scalars[i] : 0, 0, 0, 0] }
        }
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(padded.utf8.count), 0] + Array(padded.utf8) + data
    }
}

/// Bytes from hexadecimal text.
func hexBytes(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8).map { $0 <= 57 ? $0 - 48 : $0 - 87 }
    return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
}

/// np.savez_compressed(f, x=(the same x), y=np.array(['dog', 'cat'])): deflated entries, '<U3' labels.
let numpySavezCompressed = hexBytes("504b03042d0000000800000021005bfec51affffffffffffffff05001400782e6e70790100100098000000000000005a000000000000009bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a06e9366a2aea3a09e965f54529498179f5f94920a12774bcc294e058a17672416a402f91a463a0ac69a3a0ab50a64032e068603f60c408281c1c18181a101881700f1090700504b03042d0000000800000021006564ec24ffffffffffffffff05001400792e6e707901001000980000000000000055000000000000009bec17ea1b10c9c850c650ad9e925a9c5ca46ea5a06e136aacaea3a09e965f54529498179f5f94920a12774bcc294e058a17672416a402f91a463a9a3a0ab50a1400ae140606867c204e07e264204e04e212200600504b01022d032d0000000800000021005bfec51a5a00000098000000050000000000000000000000800100000000782e6e7079504b01022d032d0000000800000021006564ec245500000098000000050000000000000000000000800191000000792e6e7079504b05060000000002000200660000001d0100000000")
