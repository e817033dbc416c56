import PithTensor

/// Loss and accuracy of a model on a data set.
public struct Evaluation: Sendable {
    public let loss: Double
    public let correct: Int
    public let count: Int
    public let predictions: [Int32]
    public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
    public var errors: Int { count - correct }

    /// Runs `model` on every sample of `data` in batches, without recording the graph.
    public init(model: Model, data: Dataset, batchSize: Int = 500) {
        var total: Double = 0
        var correct = 0
        var predictions: [Int32] = []
        predictions.reserveCapacity(data.count)
        let order = Array(0..<data.count)
        var start = 0
        while start < data.count {
            let end = min(start + batchSize, data.count)
            let (x, labels) = data.batch(order[start..<end])
            let logits = model.predict(x)
            total += Double(GradMode.withoutGrad { crossEntropy(logits: logits, labels: labels) }.item) * Double(end - start)
            for (r, p) in argmaxRows(logits).enumerated() {
                predictions.append(p)
                if p == labels[r] { correct += 1 }
            }
            start = end
        }
        self.loss = data.count == 0 ? 0 : total / Double(data.count)
        self.correct = correct
        self.count = data.count
        self.predictions = predictions
    }
}

/// Index of the largest value in each row of a (B, C) tensor.
public func argmaxRows(_ t: Tensor) -> [Int32] {
    let c = t.shape[1]
    return (0..<t.shape[0]).map { r in
        var best = 0
        for j in 1..<c where t.data[r * c + j] > t.data[r * c + best] { best = j }
        return Int32(best)
    }
}
