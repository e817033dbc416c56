import PithTensor

/// Per-feature standardization of a model's input: x̂ᵢ = (xᵢ − μᵢ) · sᵢ with μ the training
/// split's mean and s = 1/σ its inverse standard deviation (1 for a feature that never
/// varies), F = the model's input features. The model applies it first, so every caller
/// gives raw features; the export puts it in front of the graph (PithQuant's
/// `StandardizationExport`), so the deployed graph takes raw features too.
public struct Standardization: Codable, Equatable, Sendable {
    /// μ, F values.
    public var mean: [Float]
    /// s = 1/σ, F values.
    public var inverseDeviation: [Float]

    public init(mean: [Float], inverseDeviation: [Float]) {
        self.mean = mean
        self.inverseDeviation = inverseDeviation
    }

    /// μ and 1/σ of each feature of `data` (N × F), in double precision.
    public init(of data: Dataset) {
        let f = data.featureCount, n = max(data.count, 1)
        var sum = [Double](repeating: 0, count: f), squares = [Double](repeating: 0, count: f)
        data.features.withUnsafeBufferPointer { x in
            for r in 0..<data.count {
                for j in 0..<f {
                    let v = Double(x[r * f + j])
                    sum[j] += v
                    squares[j] += v * v
                }
            }
        }
        mean = sum.map { Float($0 / Double(n)) }
        inverseDeviation = (0..<f).map { j in
            let m = sum[j] / Double(n)
            let variance = max(squares[j] / Double(n) - m * m, 0)
            let sigma = variance.squareRoot()
            return sigma > 1e-12 * max(abs(m), 1) ? Float(1 / sigma) : 1
        }
    }

    /// The first value that is not finite, or a count that is not `features`, as a line.
    public func problem(features: Int) -> String? {
        guard mean.count == features, inverseDeviation.count == features else {
            return "standardization holds \(mean.count) means and \(inverseDeviation.count) deviations for \(features) input features"
        }
        if let i = mean.indices.first(where: { !mean[$0].isFinite || !inverseDeviation[$0].isFinite || inverseDeviation[$0] <= 0 }) {
            return "standardization of feature \(i) (mean \(mean[i]), 1/σ \(inverseDeviation[i])) is not a finite mean and positive scale"
        }
        return nil
    }

    /// `values` (N × F, row-major) standardized.
    public func standardized(_ values: [Float]) -> [Float] {
        let f = mean.count
        var out = values
        for r in 0 ..< values.count / max(f, 1) {
            for j in 0 ..< f { out[r * f + j] = (values[r * f + j] - mean[j]) * inverseDeviation[j] }
        }
        return out
    }

    /// `data` standardized (its features; labels and names as they are).
    public func standardized(_ data: Dataset) -> Dataset {
        Dataset(name: data.name, features: standardized(data.features), labels: data.labels, sampleShape: data.sampleShape,
                classes: data.classes, classNames: data.classNames, featureNames: data.featureNames)
    }

    /// x standardized: (B, F) → (B, F), a constant (no gradient flows to μ or s).
    func apply(_ x: Tensor) -> Tensor { Tensor(standardized(x.scalars), shape: x.shape) }
}
