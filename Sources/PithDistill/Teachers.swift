import PithNN
import PithTensor

/// One or more trained teachers and the soft targets they give a batch: the average of
/// softmax(z_i / T) over the ensemble's members i (Hinton et al. 2015, §2; an ensemble's
/// soft targets are the mean of its members' distributions).
public final class Teachers {
    public let models: [Model]
    public let temperature: Float
    /// Soft targets of every training sample, by index, when cached (no augmentation).
    var cache: [Float]?

    public init(_ models: [Model], temperature: Float) {
        precondition(!models.isEmpty, "an ensemble of no teachers")
        self.models = models
        self.temperature = temperature
    }

    public var classes: Int { models[0].description.classes }

    /// Soft targets for a batch x: B rows of `classes` probabilities.
    public func softTargets(_ x: Tensor) -> [Float] {
        var sum: [Float]?
        for model in models {
            let p = softmaxRows(model.predict(x), temperature: temperature)
            if sum == nil { sum = p } else { for i in p.indices { sum![i] += p[i] } }
        }
        let n = Float(models.count)
        return n == 1 ? sum! : sum!.map { $0 / n }
    }

    /// Computes the soft targets of every sample of `data` once (the transfer set without
    /// augmentation), so that each epoch reads them instead of running the teachers.
    public func cacheSoftTargets(_ data: Dataset, shape: [Int], batchSize: Int = 500) {
        var all = [Float]()
        all.reserveCapacity(data.count * classes)
        var start = 0
        while start < data.count {
            let end = min(start + batchSize, data.count)
            all += softTargets(data.batch(Array(start..<end)[...], shape: shape).x)
            start = end
        }
        cache = all
    }

    /// The cached soft targets of the samples at `indices`.
    func cachedSoftTargets(_ indices: ArraySlice<Int>) -> [Float]? {
        guard let cache else { return nil }
        let c = classes
        var rows = [Float](repeating: 0, count: indices.count * c)
        for (r, i) in indices.enumerated() {
            for j in 0..<c { rows[r * c + j] = cache[i * c + j] }
        }
        return rows
    }
}
