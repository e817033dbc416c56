import Foundation
import PithFormat
import PithNN
import PithTensor

/// The integer graph of the sequence layers (docs/quantization.md, "Integer Transformer").
extension GraphEmitter {
    /// LayerNorm's γ and β as float32 constants (the runtime derives its fixed-point gains).
    static func layerNormConstants(_ m: inout PithModel, _ name: String, _ p: [Tensor]) -> [Int] {
        float32Constants(&m, name, weight: p[0], bias: p[1])
    }

    /// The float function of an element-wise layer, as the float model computes it.
    static func elementwise(_ spec: LayerSpec) -> (Double) -> Double {
        switch spec {
        case .gelu: return { $0 / 2 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }
        case .tanh: return { Foundation.tanh($0) }
        case .sigmoid: return { 1 / (1 + Foundation.exp(-$0)) }
        default: preconditionFailure("\(spec.text) is not element-wise")
        }
    }

    /// A Lookup node: table[q] = the output code of f(s_x·(q − z_x)), rounded half to even
    /// as Quantize does, for every input code q.
    static func lookup(_ m: inout PithModel, _ name: String, _ spec: LayerSpec, input x: Int, output y: Int) -> Node {
        guard case let .perTensor(sx, zx) = m.tensors[x].quantization, case let .perTensor(sy, zy) = m.tensors[y].quantization else {
            preconditionFailure("integer values are per tensor")
        }
        let f = elementwise(spec)
        let table: [UInt8] = (0..<256).map { q in
            let v = Float(f(Double(sx) * Double(Int32(q) - zx))) / sy
            return UInt8(max(0, min(255, Int32(v.rounded(.toNearestOrEven)) + zy)))
        }
        let t = m.addConstant("\(name).table", dtype: .uint8, shape: [256], bytes: table)
        return Node(op: .lookup, name: name, inputs: [x, t], outputs: [y])
    }

    /// A pre-norm Transformer block's twelve integer nodes (`TransformerPoints` order, one
    /// range each): LayerNorm, the q, k and v projections (W_qkv's three row blocks),
    /// Attention, the output projection, the residual Add, LayerNorm, W₁, GELU (Lookup), W₂
    /// and the residual Add, whose value is the stage's `name`. Returns that value.
    static func transformerBlock(_ m: inout PithModel, _ nodes: inout [Node], _ name: String, _ p: [Tensor], heads: Int,
                                 input x: Int, shape: [Int], ranges: [ActivationRange]) -> Int {
        let d = shape[1]
        func value(_ point: TransformerPoints, _ width: Int) -> Int {
            m.addValue(name + point.suffix, dtype: .uint8, shape: [shape[0], width], quantization: ranges[point.rawValue].quantization)
        }
        func dense(_ point: TransformerPoints, _ w: Tensor, _ b: Tensor, _ input: Int) -> Int {
            let out = value(point, w.shape[0])
            let nodeName = name + point.suffix
            nodes.append(Node(op: .dense, name: nodeName, inputs: [input] + constants(&m, nodeName, weight: w, bias: b, precision: .integer(ranges: [], cellShifts: [:]), input: input),
                              outputs: [out]))
            return out
        }
        func rows(_ t: Tensor, _ r: Range<Int>) -> Tensor {
            let per = t.count / t.shape[0]
            return Tensor(Array(UnsafeBufferPointer(start: t.data + r.lowerBound * per, count: r.count * per)),
                          shape: [r.count] + t.shape.dropFirst())
        }
        let n1 = value(.norm1, d)
        nodes.append(Node(op: .layerNorm, name: name + TransformerPoints.norm1.suffix, inputs: [x] + layerNormConstants(&m, name + ".norm1", [p[0], p[1]]),
                          outputs: [n1]))
        let (wqkv, bqkv) = (p[2], p[3])
        let q = dense(.query, rows(wqkv, 0 ..< d), rows(bqkv, 0 ..< d), n1)
        let k = dense(.key, rows(wqkv, d ..< 2 * d), rows(bqkv, d ..< 2 * d), n1)
        let v = dense(.value, rows(wqkv, 2 * d ..< 3 * d), rows(bqkv, 2 * d ..< 3 * d), n1)
        let attended = value(.attention, d)
        nodes.append(Node(op: .attention, name: name + TransformerPoints.attention.suffix, inputs: [q, k, v], outputs: [attended],
                          attributes: [Attribute("heads", Int64(heads))]))
        let projected = dense(.projection, p[4], p[5], attended)
        let a = value(.residual1, d)
        nodes.append(Node(op: .add, name: name + TransformerPoints.residual1.suffix, inputs: [x, projected], outputs: [a]))
        let n2 = value(.norm2, d)
        nodes.append(Node(op: .layerNorm, name: name + TransformerPoints.norm2.suffix, inputs: [a] + layerNormConstants(&m, name + ".norm2", [p[6], p[7]]),
                          outputs: [n2]))
        let hidden = dense(.hidden, p[8], p[9], n2)
        let g = value(.gelu, p[8].shape[0])
        nodes.append(lookup(&m, name + TransformerPoints.gelu.suffix, .gelu, input: hidden, output: g))
        let f = dense(.output, p[10], p[11], g)
        let y = value(.residual2, d)
        nodes.append(Node(op: .add, name: name, inputs: [a, f], outputs: [y]))
        return y
    }
}
