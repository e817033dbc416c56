import PithFormat
import PithNN

/// A model's input standardization in its exported graph: a float32 Dense node named
/// `standardize` in front of the rest, with the diagonal weight diag(s) (F × F) and the bias
/// −μ ⊙ s, so that the graph takes raw features, x̂ = (x − μ) ⊙ s, and the rest of the graph
/// — float or integer — is the model as trained on x̂. It runs in float before any
/// quantization, so features of every scale keep their precision (one uint8 scale for raw
/// features from 0.01 to 1000 would round the small ones away). The cost is F² multiply-adds.
public enum StandardizationExport {
    public static let nodeName = "standardize"

    /// `pith` with the standardization node in front of its (1-D, float32) graph input.
    public static func prepend(_ st: Standardization, to pith: PithModel) throws(PithError) -> PithModel {
        var m = pith
        guard m.graph.inputs.count == 1 else { throw .mismatch("the graph has \(m.graph.inputs.count) inputs; standardization needs one") }
        let old = m.graph.inputs[0]
        let f = st.mean.count
        guard m.tensors[old].dtype == .float32, m.tensors[old].shape == [f] else {
            throw .mismatch("standardization of \(f) features needs a float32 input of shape [\(f)], the graph's is \(m.tensors[old].shape)")
        }
        m.tensors[old].name = "standardized"
        let raw = m.addValue("input", dtype: .float32, shape: [f])
        var diagonal = [Float](repeating: 0, count: f * f)
        for i in 0..<f { diagonal[i * f + i] = st.inverseDeviation[i] }
        let w = m.addConstant("standardize.weight", dtype: .float32, shape: [f, f], bytes: littleEndianBytes(diagonal))
        let b = m.addConstant("standardize.bias", dtype: .float32, shape: [f], bytes: littleEndianBytes((0..<f).map { -st.mean[$0] * st.inverseDeviation[$0] }))
        m.graph.inputs = [raw]
        m.graph.nodes.insert(Node(op: .dense, name: nodeName, inputs: [raw, w, b], outputs: [old]), at: 0)
        return m
    }

    /// `pith` without its standardization node (the graph on standardized inputs), or `pith`
    /// itself when it has none.
    public static func strip(_ pith: PithModel) -> PithModel {
        guard let first = pith.graph.nodes.first, first.name == nodeName, first.op == .dense else { return pith }
        var m = pith
        m.graph.nodes.removeFirst()
        m.graph.inputs = [first.outputs[0]]
        return m
    }

    /// `data` standardized (the samples the graph behind the standardization node sees).
    public static func standardized(_ data: Dataset, _ st: Standardization?) -> Dataset {
        st.map { $0.standardized(data) } ?? data
    }
}
