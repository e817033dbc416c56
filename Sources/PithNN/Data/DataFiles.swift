import PithIO

/// Training, validation and test data in three files of one kind — CSV (`.csv`, `.csv.gz`)
/// or NumPy (`.npz`) — used as they are instead of one file split 60% / 20% / 20%.
///
/// The validation and test files are read as the training file is: the same header rule,
/// label column (by name or index) and scale, and the training file's classes — class names
/// map to the training file's class numbers, and a label (name or number) that the
/// training file does not have is refused, naming the file and the row. Their features
/// must be as many as the training file's, and a CSV header must name them alike.
public struct DataFiles: Equatable, Sendable {
    public var train: String
    public var validation: String
    public var test: String
    /// Multiplies every feature value.
    public var scale: Float
    /// For CSV files: the header rule and the label column.
    public var header: CSV.Header
    public var label: CSV.LabelColumn

    public init(train: String, validation: String, test: String, scale: Float = 1,
                header: CSV.Header = .detect, label: CSV.LabelColumn = .last) {
        self.train = train
        self.validation = validation
        self.test = test
        self.scale = scale
        self.header = header
        self.label = label
    }

    public func load() throws(PithError) -> DataSplits {
        let csv = DataReader.isCSV(train)
        guard csv || train.hasSuffix(".npz") else {
            throw .badOption(name: "training data", problem: "'\(train)' is not a .csv (.csv.gz) or a .npz file")
        }
        for path in [validation, test] where DataReader.isCSV(path) != csv || (!csv && !path.hasSuffix(".npz")) {
            throw .badOption(name: "data files", problem: "'\(path)' is not a \(csv ? ".csv" : ".npz") file like the training file '\(train)'")
        }
        func read(_ path: String, _ classes: DataReader.Classes) throws(PithError) -> Dataset {
            csv ? try DataReader.csv(path, scale: scale, header: header, label: label, classes: classes)
                : try DataReader.npz(path, scale: scale, classes: classes)
        }
        let trainSet = try read(train, .fromFile)
        let held = DataReader.Classes.training(trainSet, path: train)
        let validationSet = try read(validation, held), testSet = try read(test, held)
        for (path, set) in [(validation, validationSet), (test, testSet)] {
            guard set.sampleShape == trainSet.sampleShape else {
                throw .mismatch("\(path): samples of \(set.sampleShape.map(String.init).joined(separator: "x")) values, the training file \(train) has \(trainSet.sampleShape.map(String.init).joined(separator: "x"))")
            }
            guard set.featureNames == nil || trainSet.featureNames == nil || set.featureNames == trainSet.featureNames else {
                throw .mismatch("\(path): its header names the feature columns otherwise than the training file \(train)")
            }
        }
        return DataSplits(train: trainSet, validation: validationSet, test: testSet)
    }
}

/// Reads one data file into a `Dataset` with PithIO; errors name the file (and line).
enum DataReader {
    /// Where a file's classes come from.
    enum Classes {
        /// From the file itself.
        case fromFile
        /// From the training set read before (`path`): the same names, and no label it lacks.
        case training(Dataset, path: String)
    }

    static func isCSV(_ path: String) -> Bool { path.hasSuffix(".csv") || path.hasSuffix(".csv.gz") }

    static func idx(_ path: String) throws(PithError) -> NumericArray {
        let bytes = try FileBytes.readMaybeGzip(path)
        do throws(IOFailure) { return try IDX.decode(bytes, file: path) } catch { throw PithError(error) }
    }

    static func csv(_ path: String, scale: Float, header: CSV.Header, label: CSV.LabelColumn, classes: Classes) throws(PithError) -> Dataset {
        let bytes = try FileBytes.readMaybeGzip(path)
        var labels = CSV.Labels.automatic
        if case let .training(set, trainPath) = classes {
            labels = set.classNames.map { .classNames($0, source: "the training file \(trainPath)") } ?? .integers(classes: CSV.maxClasses)
        }
        let table: CSV.Table
        do throws(IOFailure) {
            table = try CSV.parse(bytes, file: path, options: CSV.Options(header: header, label: label, labels: labels, scale: scale))
        } catch { throw PithError(error) }
        guard table.labelColumn != nil else { throw .badFile(path: path, problem: "has no label column") }
        guard table.featureCount >= 1 else {
            throw .badFile(path: path, problem: "needs at least one feature column and a label, found 1 column")
        }
        let set = Dataset(name: path, features: table.features, labels: table.labels, sampleShape: [table.featureCount],
                          classes: table.classes, classNames: table.classNames, featureNames: table.featureNames)
        return try heldTo(set, classes)
    }

    static func npz(_ path: String, scale: Float, classes: Classes) throws(PithError) -> Dataset {
        let bytes = try FileBytes.read(path, limit: FileBytes.Limit.dataFile)
        let members: [NPZ.Member]
        do throws(IOFailure) {
            members = try NPZ.decode(bytes, file: path) { entry, data throws(IOFailure) -> [UInt8] in
                guard entry.uncompressedSize <= FileBytes.Limit.decompressedData else {
                    throw IOFailure(path, "entry '\(entry.name)' inflates to \(entry.uncompressedSize) bytes, over the \(FileBytes.Limit.decompressedData)-byte limit")
                }
                switch Gzip.inflateRaw(data, size: entry.uncompressedSize) {
                case let .success(b): return b
                case let .failure(p): throw IOFailure(path, "entry '\(entry.name)': \(p.text)")
                }
            }
        } catch { throw PithError(error) }
        let pairs = [("x", "y"), ("X", "y"), ("features", "labels")]
        for (f, l) in pairs {
            if let x = members.first(where: { $0.name == f }), let y = members.first(where: { $0.name == l }) {
                return try dataset(features: x.array, labels: y.array, name: path, featuresAt: "\(path) '\(f)'",
                                   labelsAt: "\(path) '\(l)'", scale: scale, classes: classes)
            }
        }
        throw .badFile(path: path, problem: "no arrays named x and y (or X and y, or features and labels); it holds \(members.isEmpty ? "none" : members.map { "'\($0.name)'" }.joined(separator: ", "))")
    }

    static func npy(features: String, labels: String, scale: Float) throws(PithError) -> Dataset {
        func read(_ path: String) throws(PithError) -> NumericArray {
            let bytes = try FileBytes.readMaybeGzip(path)
            do throws(IOFailure) { return try NPY.decode(bytes, file: path) } catch { throw PithError(error) }
        }
        return try dataset(features: read(features), labels: read(labels), name: features, featuresAt: features, labelsAt: labels,
                           scale: scale, classes: .fromFile)
    }

    /// Arrays as a data set: features (N, …) and labels (N,) or (N, 1).
    static func dataset(features x: NumericArray, labels y: NumericArray, name: String, featuresAt: String, labelsAt: String,
                        scale: Float, classes: Classes) throws(PithError) -> Dataset {
        guard x.shape.count >= 1, x.shape.count <= 4, var values = x.floats() else {
            throw .badFile(path: featuresAt, problem: "features must be numbers of shape (N, F), (N, H, W) or (N, C, H, W), found \(x.typeName) of \(NumericArray.text(x.shape))")
        }
        let n = x.shape[0]
        let sampleShape = x.shape.count == 1 ? [1] : x.shape.count == 3 ? [1] + Array(x.shape.dropFirst()) : Array(x.shape.dropFirst())
        guard y.shape == [n] || y.shape == [n, 1] else {
            throw .badFile(path: labelsAt, problem: "labels of shape \(NumericArray.text(y.shape)) for \(n) samples (expected (\(n),) or (\(n), 1))")
        }
        guard sampleShape.reduce(1, *) >= 1 else { throw .badFile(path: featuresAt, problem: "samples of \(NumericArray.text(sampleShape)) hold no values") }
        for i in values.indices {
            values[i] *= scale
            guard values[i].isFinite else {
                throw .badFile(path: featuresAt, problem: "value \(i) (sample \(i / max(1, sampleShape.reduce(1, *)))) is NaN or infinite\(scale == 1 ? "" : " once scaled")")
            }
        }
        var labels: [Int32] = []
        var classNames: [String]? = nil
        var classCount = 0
        if case let .strings(names) = y.values {
            if case let .training(set, path) = classes {
                guard let known = set.classNames else { throw .mismatch("\(labelsAt): class names, but the training file \(path) has class numbers") }
                var index: [String: Int32] = [:]
                for (i, k) in known.enumerated() { index[k] = Int32(i) }
                for (i, s) in names.enumerated() {
                    guard let c = index[s] else { throw .badFile(path: labelsAt, problem: "label '\(s)' (sample \(i)) is not one of the \(known.count) classes of the training file \(path)") }
                    labels.append(c)
                }
                classNames = known
                classCount = known.count
            } else {
                let mapped = ClassNames.classes(of: names)
                guard mapped.names.count <= CSV.maxClasses else { throw .badFile(path: labelsAt, problem: "more than \(CSV.maxClasses) different labels") }
                labels = mapped.labels
                classNames = mapped.names
                classCount = mapped.names.count
            }
        } else {
            guard let numbers = y.integers() else { throw .badFile(path: labelsAt, problem: "labels must be whole numbers or strings, found \(y.typeName) values that are not whole") }
            for (i, v) in numbers.enumerated() {
                guard v >= 0, v < Int64(CSV.maxClasses) else {
                    throw .badFile(path: labelsAt, problem: "label \(v) (sample \(i)) is not a class number in 0..<\(CSV.maxClasses)")
                }
                labels.append(Int32(v))
            }
            classCount = Int(labels.max() ?? -1) + 1
            if case let .training(set, path) = classes, set.classNames != nil {
                throw .mismatch("\(labelsAt): class numbers, but the training file \(path) has class names")
            }
        }
        let set = Dataset(name: name, features: values, labels: labels, sampleShape: sampleShape, classes: classCount, classNames: classNames)
        return try heldTo(set, classes)
    }

    /// `set` with the training set's classes: its class count and names, every label one the
    /// training set has (refused otherwise, naming the data row).
    static func heldTo(_ set: Dataset, _ classes: Classes) throws(PithError) -> Dataset {
        guard case let .training(train, path) = classes else { return set }
        var seen = [Bool](repeating: false, count: train.classes)
        for l in train.labels { seen[Int(l)] = true }
        for (row, l) in set.labels.enumerated() where Int(l) >= train.classes || !seen[Int(l)] {
            let what = train.classNames.map { Int(l) < $0.count ? "'\($0[Int(l)])'" : String(l) } ?? String(l)
            throw .badFile(path: set.name, problem: "label \(what) (data row \(row + 1)) does not appear in the training file \(path)")
        }
        return Dataset(name: set.name, features: set.features, labels: set.labels, sampleShape: set.sampleShape, classes: train.classes,
                       classNames: train.classNames, featureNames: set.featureNames)
    }
}
