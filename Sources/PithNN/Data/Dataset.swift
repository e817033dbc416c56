import PithTensor

/// Labelled samples in memory. features: (N, F) row-major, F = product of `sampleShape`;
/// labels: N class numbers in 0..<classes.
public struct Dataset: Sendable {
    public let name: String
    public let features: [Float]
    public let labels: [Int32]
    /// One sample's shape: (F) or (C, H, W).
    public let sampleShape: [Int]
    public let classes: Int
    /// The classes' names, class i's at index i, when the data named them (string labels:
    /// sorted by their UTF-8 bytes); nil when the labels were class numbers.
    public let classNames: [String]?
    /// The F features' names (a CSV header row), nil when the file had none.
    public let featureNames: [String]?

    public init(name: String, features: [Float], labels: [Int32], sampleShape: [Int], classes: Int,
                classNames: [String]? = nil, featureNames: [String]? = nil) {
        precondition(features.count == labels.count * sampleShape.reduce(1, *), "dataset \(name): features and labels disagree")
        precondition(classNames == nil || classNames!.count == classes, "dataset \(name): \(classNames!.count) class names for \(classes) classes")
        precondition(featureNames == nil || featureNames!.count == sampleShape.reduce(1, *), "dataset \(name): feature names and features disagree")
        self.name = name
        self.features = features
        self.labels = labels
        self.sampleShape = sampleShape
        self.classes = classes
        self.classNames = classNames
        self.featureNames = featureNames
    }

    public var count: Int { labels.count }
    public var featureCount: Int { sampleShape.reduce(1, *) }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int], name: String? = nil) -> Dataset {
        let f = featureCount
        var feats = [Float](repeating: 0, count: indices.count * f)
        var labs = [Int32](repeating: 0, count: indices.count)
        feats.withUnsafeMutableBufferPointer { dst in
            features.withUnsafeBufferPointer { src in
                for (row, i) in indices.enumerated() {
                    (dst.baseAddress! + row * f).update(from: src.baseAddress! + i * f, count: f)
                    labs[row] = labels[i]
                }
            }
        }
        return Dataset(name: name ?? self.name, features: feats, labels: labs, sampleShape: sampleShape, classes: classes,
                       classNames: classNames, featureNames: featureNames)
    }

    /// Samples start..<end, in order.
    public func slice(_ range: Range<Int>, name: String? = nil) -> Dataset {
        subset(Array(range), name: name)
    }

    /// A batch: x (B, F) — or (B, shape…) when `shape` is given — and its labels, for the
    /// samples at `indices`.
    public func batch(_ indices: ArraySlice<Int>, shape: [Int]? = nil) -> (x: Tensor, labels: [Int32]) {
        let f = featureCount
        let x = Tensor(zeros: [indices.count] + (shape ?? [f]))
        var labs = [Int32](repeating: 0, count: indices.count)
        features.withUnsafeBufferPointer { src in
            for (row, i) in indices.enumerated() {
                (x.data + row * f).update(from: src.baseAddress! + i * f, count: f)
                labs[row] = labels[i]
            }
        }
        return (x, labs)
    }
}

/// The three splits used everywhere: fit on `train`, choose on `validation`, report on `test`.
public struct DataSplits: Sendable {
    public let train: Dataset
    public let validation: Dataset
    public let test: Dataset

    public init(train: Dataset, validation: Dataset, test: Dataset) {
        self.train = train
        self.validation = validation
        self.test = test
    }
}
