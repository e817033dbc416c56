import CDigits
import PithIO
import PithTensor

/// Where samples come from: the embedded UCI digits, MNIST IDX files in a folder, a labelled
/// CSV file, NumPy arrays (`.npz`, or a `.npy` pair), or explicit training, validation and
/// test files (`DataFiles`). The files are read by PithIO.
public enum DataSource: Equatable, Sendable {
    /// 1,797 images of 8x8 (values 0..16, scaled by 1/16), embedded in the package.
    case digits
    /// MNIST from a folder holding the four IDX files (gzip or plain); pixels scaled by 1/255.
    case mnist(directory: String)
    /// A CSV (plain or gzip) of feature columns and a label column; values multiplied by
    /// `scale`. The first row is a header when `header` says so (by default: when its
    /// feature columns hold names, not numbers); the label column is the last, or
    /// the one `label` picks by 0-based index or, with a header, by name. Labels are class
    /// numbers when every one is a whole number (classes: the largest + 1), otherwise class
    /// names, sorted by their UTF-8 bytes (`Dataset.classNames`).
    case csv(path: String, scale: Float, header: CSV.Header = .detect, label: CSV.LabelColumn = .last)
    /// NumPy arrays in an `.npz` archive (`np.savez(path, x=features, y=labels)`, or
    /// `np.savez_compressed`): the features under `x` (or `X`, or `features`), the labels
    /// under `y` (or `labels`). Features: (N, F), (N, H, W) (one channel) or (N, C, H, W),
    /// any numeric dtype, multiplied by `scale` (uint8 pixels are not scaled unless told:
    /// `scale: 1.0 / 255`); labels: (N,) or (N, 1), whole numbers (class numbers) or strings
    /// (class names, sorted by their UTF-8 bytes).
    case npz(path: String, scale: Float = 1)
    /// The same arrays in two `.npy` files (`np.save("features.npy", x)`, `np.save("labels.npy", y)`).
    case npy(features: String, labels: String, scale: Float = 1)
    /// Separate training, validation and test files, read alike (`DataFiles`).
    case files(DataFiles)

    /// The default MNIST folder, relative to the project root.
    public static let defaultMNISTDirectory = "../shared/data/mnist"

    /// Parses `digits`, `mnist`, or a path ending in `.csv`, `.csv.gz` or `.npz`; `csvScale`
    /// multiplies a CSV's or an archive's features, `header` and `label` choose a CSV's
    /// header row and label column.
    public static func named(_ name: String, mnistDirectory: String = defaultMNISTDirectory, csvScale: Float = 1,
                             header: CSV.Header = .detect, label: CSV.LabelColumn = .last) throws(PithError) -> DataSource {
        switch name {
        case "digits": return .digits
        case "mnist": return .mnist(directory: mnistDirectory)
        default:
            if name.hasSuffix(".csv") || name.hasSuffix(".csv.gz") { return .csv(path: name, scale: csvScale, header: header, label: label) }
            if name.hasSuffix(".npz") { return .npz(path: name, scale: csvScale) }
            throw .badOption(name: "--data", problem: "'\(name)' is not 'digits', 'mnist', a .csv (.csv.gz) or a .npz file")
        }
    }

    /// A short name for logs and checkpoints.
    public var label: String {
        switch self {
        case .digits: return "digits"
        case .mnist: return "mnist"
        case let .csv(path, _, _, _): return path
        case let .npz(path, _): return path
        case let .npy(features, _, _): return features
        case let .files(files): return files.train
        }
    }

    /// Loads the data and splits it.
    ///
    /// MNIST: training images 0..<55,000 train, the last 5,000 validation, the 10,000
    /// test images test. Digits, CSV and NumPy: one fixed shuffle
    /// (seed 1797, independent of the run's seed), then 60% / 20% / 20%. `files`: the
    /// three files as they are.
    public func load() throws(PithError) -> DataSplits {
        switch self {
        case .digits:
            let bytes = Array(UnsafeBufferPointer(start: pith_digits_csv_gz(), count: Int(pith_digits_csv_gz_size())))
            let text: [UInt8]
            switch Gzip.decompress(bytes, limit: 1 << 24) {
            case let .success(t): text = t
            case let .failure(p): throw .badFile(path: "embedded digits", problem: p.text)
            }
            let table: CSV.Table
            do throws(IOFailure) {
                table = try CSV.parse(text, file: "embedded digits", options: CSV.Options(header: .absent, labels: .integers(classes: 10), scale: 1.0 / 16.0))
            } catch { throw PithError(error) }
            let all = Dataset(name: "digits", features: table.features, labels: table.labels, sampleShape: [1, 8, 8], classes: 10)
            return try Self.shuffledSplits(all)
        case let .csv(path, scale, header, label):
            return try Self.shuffledSplits(DataReader.csv(path, scale: scale, header: header, label: label, classes: .fromFile))
        case let .npz(path, scale):
            return try Self.shuffledSplits(DataReader.npz(path, scale: scale, classes: .fromFile))
        case let .npy(features, labels, scale):
            return try Self.shuffledSplits(DataReader.npy(features: features, labels: labels, scale: scale))
        case let .files(files):
            return try files.load()
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
            return BoundedFile.exists(plain) ? plain : plain + ".gz"
        }
        let imagePath = find(images), labelPath = find(labels)
        let imageFile = try DataReader.idx(imagePath)
        let labelFile = try DataReader.idx(labelPath)
        let dims = imageFile.shape
        guard dims.count == 3 else {
            throw .badFile(path: imagePath, problem: "expected 3 dimensions (count, rows, columns), found \(dims.count)")
        }
        guard labelFile.shape.count == 1 else {
            throw .badFile(path: labelPath, problem: "expected 1 dimension (count), found \(labelFile.shape.count)")
        }
        guard case let .uint8(pixels) = imageFile.values else {
            throw .badFile(path: imagePath, problem: "MNIST images are unsigned bytes (IDX type 0x08), these are \(imageFile.typeName)")
        }
        guard dims[1] > 0, dims[2] > 0 else {
            throw .badFile(path: imagePath, problem: "images of \(dims[1])x\(dims[2]) pixels hold no values")
        }
        guard dims[0] == labelFile.shape[0] else {
            throw .badFile(path: labelPath, problem: "\(labelFile.shape[0]) labels but \(imagePath) has \(dims[0]) images")
        }
        guard let numbers = labelFile.integers() else {
            throw .badFile(path: labelPath, problem: "labels must be whole numbers, these are \(labelFile.typeName)")
        }
        var labelValues = [Int32](repeating: 0, count: numbers.count)
        for (i, v) in numbers.enumerated() {
            guard v >= 0, v < 10 else { throw .badFile(path: labelPath, problem: "label \(v) at index \(i) is not a digit 0-9") }
            labelValues[i] = Int32(v)
        }
        guard dims[0] >= minimum else {
            throw .badFile(path: imagePath, problem: "holds \(dims[0]) images; at least \(minimum) are needed (\(why))")
        }
        let scale: Float = 1.0 / 255.0
        return Dataset(name: name, features: pixels.map { Float($0) * scale }, labels: labelValues,
                       sampleShape: [1, dims[1], dims[2]], classes: 10)
    }
}
