import CDigits
import PithTensor

/// Where samples come from: the embedded UCI digits, MNIST IDX files in a folder, or a
/// labelled CSV file.
public enum DataSource: Equatable, Sendable {
    /// 1,797 images of 8x8 (values 0..16, scaled by 1/16), embedded in the package.
    case digits
    /// MNIST from a folder holding the four IDX files (gzip or plain); pixels scaled by 1/255.
    case mnist(directory: String)
    /// A CSV of feature columns then a label; values multiplied by `scale`.
    case csv(path: String, scale: Float)

    /// The default MNIST folder, relative to the project root.
    public static let defaultMNISTDirectory = "../shared/data/mnist"

    /// Parses `digits`, `mnist` or a path ending in `.csv` / `.csv.gz`.
    public static func named(_ name: String, mnistDirectory: String = defaultMNISTDirectory, csvScale: Float = 1) throws(PithError) -> DataSource {
        switch name {
        case "digits": return .digits
        case "mnist": return .mnist(directory: mnistDirectory)
        default:
            if name.hasSuffix(".csv") || name.hasSuffix(".csv.gz") { return .csv(path: name, scale: csvScale) }
            throw .badOption(name: "--data", problem: "'\(name)' is not 'digits', 'mnist' or a .csv file")
        }
    }

    /// A short name for logs and checkpoints.
    public var label: String {
        switch self {
        case .digits: return "digits"
        case .mnist: return "mnist"
        case let .csv(path, _): return path
        }
    }

    /// Loads the data and splits it.
    ///
    /// MNIST: training images 0..<55,000 train, the last 5,000 validation, the 10,000
    /// test images test (as WORKLOADS.md says). Digits and CSV: one fixed shuffle
    /// (seed 1797, independent of the run's seed), then 60% / 20% / 20%.
    public func load() throws(PithError) -> DataSplits {
        switch self {
        case .digits:
            let bytes = Array(UnsafeBufferPointer(start: pith_digits_csv_gz(), count: Int(pith_digits_csv_gz_size())))
            let text: [UInt8]
            switch Gzip.decompress(bytes, limit: 1 << 24) {
            case let .success(t): text = t
            case let .failure(p): throw .badFile(path: "embedded digits", problem: p.text)
            }
            let parsed = try CSVReader.parse(text, path: "embedded digits", scale: 1.0 / 16.0, classes: 10)
            let all = Dataset(name: "digits", features: parsed.features, labels: parsed.labels, sampleShape: [1, 8, 8], classes: 10)
            return try Self.shuffledSplits(all)
        case let .csv(path, scale):
            let parsed = try CSVReader.parse(FileBytes.readMaybeGzip(path), path: path, scale: scale, classes: 1 << 16)
            let classes = Int(parsed.labels.max() ?? 0) + 1
            let all = Dataset(name: path, features: parsed.features, labels: parsed.labels, sampleShape: [parsed.columns], classes: classes)
            return try Self.shuffledSplits(all)
        case let .mnist(directory):
            let train = try Self.mnistPart(directory, images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte", name: "mnist-train",
                                           minimum: Self.mnistValidationCount + 1, why: "the last \(Self.mnistValidationCount) are the validation split")
            let test = try Self.mnistPart(directory, images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte", name: "mnist-test",
                                          minimum: 1, why: "they are the test split")
            guard test.sampleShape == train.sampleShape else {
                throw .badFile(path: directory + "/t10k-images-idx3-ubyte", problem: "images of \(test.sampleShape.map(String.init).joined(separator: "x")), the training images are \(train.sampleShape.map(String.init).joined(separator: "x"))")
            }
            let cut = train.count - Self.mnistValidationCount
            return DataSplits(train: train.slice(0..<cut, name: "mnist-train"),
                              validation: train.slice(cut..<train.count, name: "mnist-validation"),
                              test: test)
        }
    }

    /// Fewest rows the 60% / 20% / 20% split leaves no part of empty: ⌊5·0.6⌋ = 3 train,
    /// ⌊5·0.2⌋ = 1 validation, 1 test.
    public static let minimumRows = 5
    /// MNIST training images kept back as the validation split.
    public static let mnistValidationCount = 5000

    /// The fixed shuffle and the 60% / 20% / 20% split; refuses a set with fewer than
    /// `minimumRows` rows, which would leave a split empty.
    static func shuffledSplits(_ all: Dataset) throws(PithError) -> DataSplits {
        guard all.count >= minimumRows else {
            throw .badFile(path: all.name, problem: "has \(all.count) row\(all.count == 1 ? "" : "s"); the 60% / 20% / 20% split into training, validation and test needs at least \(minimumRows)")
        }
        var rng = PithRandom(seed: 1797)
        let order = rng.permutation(all.count)
        let nTrain = all.count * 6 / 10, nVal = all.count * 2 / 10
        return DataSplits(train: all.subset(Array(order[0..<nTrain]), name: all.name + "-train"),
                          validation: all.subset(Array(order[nTrain..<(nTrain + nVal)]), name: all.name + "-validation"),
                          test: all.subset(Array(order[(nTrain + nVal)...]), name: all.name + "-test"))
    }

    /// One MNIST image file and its label file; `.gz` is tried after the plain name. Refuses
    /// fewer than `minimum` images (`why` says what needs them) and images without pixels.
    static func mnistPart(_ directory: String, images: String, labels: String, name: String,
                          minimum: Int, why: String) throws(PithError) -> Dataset {
        func find(_ base: String) -> String {
            let plain = directory + "/" + base
            return FileExists.check(plain) ? plain : plain + ".gz"
        }
        let imagePath = find(images), labelPath = find(labels)
        let imageFile = try IDXFile(path: imagePath)
        let labelFile = try IDXFile(path: labelPath)
        guard imageFile.dimensions.count == 3 else {
            throw .badFile(path: imagePath, problem: "expected 3 dimensions (count, rows, columns), found \(imageFile.dimensions.count)")
        }
        guard labelFile.dimensions.count == 1 else {
            throw .badFile(path: labelPath, problem: "expected 1 dimension (count), found \(labelFile.dimensions.count)")
        }
        guard imageFile.dimensions[1] > 0, imageFile.dimensions[2] > 0 else {
            throw .badFile(path: imagePath, problem: "images of \(imageFile.dimensions[1])x\(imageFile.dimensions[2]) pixels hold no values")
        }
        guard imageFile.dimensions[0] == labelFile.dimensions[0] else {
            throw .badFile(path: labelPath, problem: "\(labelFile.dimensions[0]) labels but \(imagePath) has \(imageFile.dimensions[0]) images")
        }
        var labelValues = [Int32](repeating: 0, count: labelFile.values.count)
        for (i, v) in labelFile.values.enumerated() {
            guard v < 10 else { throw .badFile(path: labelPath, problem: "label \(v) at index \(i) is not a digit 0-9") }
            labelValues[i] = Int32(v)
        }
        guard imageFile.dimensions[0] >= minimum else {
            throw .badFile(path: imagePath, problem: "holds \(imageFile.dimensions[0]) images; at least \(minimum) are needed (\(why))")
        }
        let scale: Float = 1.0 / 255.0
        let features = imageFile.values.map { Float($0) * scale }
        return Dataset(name: name, features: features, labels: labelValues,
                       sampleShape: [1, imageFile.dimensions[1], imageFile.dimensions[2]], classes: 10)
    }
}
