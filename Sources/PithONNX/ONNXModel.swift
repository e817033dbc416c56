/// The parts of an ONNX model (onnx.proto, https://github.com/onnx/onnx) the importer reads:
/// the graph's nodes with their attributes, the initializers (float32 and int64 tensors,
/// stored inline), the graph's inputs and outputs with their shapes, and the opsets.
/// Everything else in the file is skipped. `ONNXModel(bytes:)` checks every count, length
/// and product against `ONNXLimits` as it reads it.
public struct ONNXModel: Sendable {
    public var irVersion: Int64
    /// Opset version by domain ("" is the default domain, ai.onnx).
    public var opsets: [String: Int64]
    public var graph: ONNXGraph

    public init(bytes: [UInt8], limits: ONNXLimits = .standard) throws(ONNXError) {
        var r = ProtobufReader(bytes[...], context: "model")
        var ir: Int64 = 0, opsets: [String: Int64] = [:], graph: ONNXGraph? = nil
        do {
            while let (number, wire) = try r.field() {
                switch (number, wire) {
                case (1, .varint): ir = try r.int64()
                case (8, .bytes):
                    guard opsets.count < 64 else { throw ONNXError("opset_import", "more than 64 entries") }
                    let (domain, version) = try Self.opset(r.lengthDelimited())
                    opsets[domain] = version
                case (7, .bytes):
                    guard graph == nil else { throw ONNXError("graph", "appears twice") }
                    graph = try ONNXGraph(r.lengthDelimited(), limits: limits)
                default: try r.skip(wire)
                }
            }
        }
        guard let graph else { throw ONNXError("model.graph", "is missing") }
        irVersion = ir
        self.opsets = opsets
        self.graph = graph
    }

    static func opset(_ b: ArraySlice<UInt8>) throws(ONNXError) -> (String, Int64) {
        var r = ProtobufReader(b, context: "opset_import")
        var domain = "", version: Int64 = 0
        do {
            while let (number, wire) = try r.field() {
                switch (number, wire) {
                case (1, .bytes): domain = try r.string()
                case (2, .varint): version = try r.int64()
                default: try r.skip(wire)
                }
            }
        }
        return (domain == "ai.onnx" ? "" : domain, version)
    }

    /// The default domain's opset (0 when the file names none).
    public var opset: Int64 { opsets[""] ?? 0 }
}

/// Bounds on what an ONNX file may hold, checked before anything is allocated.
public struct ONNXLimits: Sendable {
    public var maxNodes = 100_000
    public var maxInitializers = 100_000
    public var maxNodeInputs = 1_024
    public var maxAttributes = 256
    public var maxRank = 8
    /// Elements of one tensor, and of all initializers together.
    public var maxTensorElements = 1 << 28
    public var maxTotalElements = 1 << 29

    public init() {}

    public static let standard = ONNXLimits()
}

/// One line: which field of the file is wrong and how.
public struct ONNXError: Error, Equatable, CustomStringConvertible, Sendable {
    public var field: String
    public var problem: String

    init(_ field: String, _ problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(field): \(problem)" }


}


public struct ONNXGraph: Sendable {
    public var name = ""
    public var nodes: [ONNXNode] = []
    public var initializers: [ONNXTensor] = []
    public var inputs: [ONNXValueInfo] = []
    public var outputs: [ONNXValueInfo] = []

    init(_ b: ArraySlice<UInt8>, limits: ONNXLimits) throws(ONNXError) {
        var r = ProtobufReader(b, context: "graph")
        var total = 0
        while let (number, wire) = try r.field() {
            let field = wire == .bytes ? try r.lengthDelimited() : nil
            switch (number, field) {
            case let (1, bytes?):
                guard nodes.count < limits.maxNodes else { throw ONNXError("graph.node", "more than \(limits.maxNodes) nodes") }
                nodes.append(try ONNXNode(bytes, index: nodes.count, limits: limits))
            case let (2, bytes?): name = String(decoding: bytes.prefix(4096), as: UTF8.self)
            case let (5, bytes?):
                guard initializers.count < limits.maxInitializers else { throw ONNXError("graph.initializer", "more than \(limits.maxInitializers) tensors") }
                let t = try ONNXTensor(bytes, field: "graph.initializer[\(initializers.count)]", limits: limits)
                total += t.elements
                guard total <= limits.maxTotalElements else { throw ONNXError("graph.initializer", "more than \(limits.maxTotalElements) values in all") }
                initializers.append(t)
            case let (11, bytes?):
                guard inputs.count < limits.maxNodeInputs else { throw ONNXError("graph.input", "more than \(limits.maxNodeInputs) inputs") }
                inputs.append(try ONNXValueInfo(bytes, field: "graph.input[\(inputs.count)]", limits: limits))
            case let (12, bytes?):
                guard outputs.count < limits.maxNodeInputs else { throw ONNXError("graph.output", "more than \(limits.maxNodeInputs) outputs") }
                outputs.append(try ONNXValueInfo(bytes, field: "graph.output[\(outputs.count)]", limits: limits))
            default:
                if field == nil { try r.skip(wire) }
            }
        }
    }
}

public struct ONNXNode: Sendable {
    public var name = ""
    public var opType = ""
    public var domain = ""
    public var inputs: [String] = []
    public var outputs: [String] = []
    public var attributes: [String: ONNXAttribute] = [:]

    init(_ b: ArraySlice<UInt8>, index: Int, limits: ONNXLimits) throws(ONNXError) {
        var r = ProtobufReader(b, context: "graph.node[\(index)]")
        do {
            while let (number, wire) = try r.field() {
                switch (number, wire) {
                case (1, .bytes):
                    guard inputs.count < limits.maxNodeInputs else { throw ONNXError(r.context, "more than \(limits.maxNodeInputs) inputs") }
                    inputs.append(try r.string())
                case (2, .bytes):
                    guard outputs.count < limits.maxNodeInputs else { throw ONNXError(r.context, "more than \(limits.maxNodeInputs) outputs") }
                    outputs.append(try r.string())
                case (3, .bytes): name = try r.string()
                case (4, .bytes): opType = try r.string(limit: 128)
                case (7, .bytes): domain = try r.string(limit: 256)
                case (5, .bytes):
                    guard attributes.count < limits.maxAttributes else { throw ONNXError(r.context, "more than \(limits.maxAttributes) attributes") }
                    let a = try ONNXAttribute(try r.lengthDelimited(), context: "\(r.context).attribute", limits: limits)
                    attributes[a.name] = a
                default: try r.skip(wire)
                }
            }
        }
        if name.isEmpty { name = "#\(index) (\(opType))" }
    }

    public func int(_ key: String) -> Int64? { attributes[key]?.int }
    public func ints(_ key: String) -> [Int64]? { attributes[key]?.ints }
    public func float(_ key: String) -> Float? { attributes[key]?.float }
}

public struct ONNXAttribute: Sendable {
    public var name = ""
    public var float: Float?
    public var int: Int64?
    public var string: String?
    public var tensor: ONNXTensor?
    public var floats: [Float] = []
    public var ints: [Int64] = []

    init(_ b: ArraySlice<UInt8>, context: String, limits: ONNXLimits) throws(ONNXError) {
        var r = ProtobufReader(b, context: context)
        do {
            while let (number, wire) = try r.field() {
                switch (number, wire) {
                case (1, .bytes): name = try r.string(limit: 256)
                case (2, .fixed32): float = Float(bitPattern: try r.fixed32())
                case (3, .varint): int = try r.int64()
                case (4, .bytes): string = try r.string()
                case (5, .bytes):
                    tensor = try ONNXTensor(try r.lengthDelimited(), field: "\(context) '\(name)'", limits: limits)
                case (7, .fixed32): floats.append(Float(bitPattern: try r.fixed32()))
                case (7, .bytes):
                    var p = r.nested(try r.lengthDelimited())
                    guard p.bytes.count / 4 <= 1 << 20 else { throw ONNXError(r.context, "more than 2^20 floats") }
                    while !p.atEnd { floats.append(Float(bitPattern: try p.fixed32())) }
                case (8, .varint): ints.append(try r.int64())
                case (8, .bytes):
                    var p = r.nested(try r.lengthDelimited())
                    while !p.atEnd {
                        guard ints.count < 1 << 20 else { throw ONNXError(r.context, "more than 2^20 ints") }
                        ints.append(try p.int64())
                    }
                default: try r.skip(wire)
                }
            }
        }
    }
}

/// A tensor of the file: float32 values, or integers (uint8, int8, int32, int64: shape
/// constants, quantized weights) as int64.
public struct ONNXTensor: Sendable {
    public enum DataType: Int32, Sendable {
        case float = 1, uint8 = 2, int8 = 3, int32 = 6, int64 = 7

        var size: Int {
            switch self {
            case .uint8, .int8: return 1
            case .float, .int32: return 4
            case .int64: return 8
            }
        }
    }

    public var name = ""
    public var dims: [Int] = []
    public var floats: [Float] = []
    public var ints: [Int64] = []
    public var dataType: DataType = .float

    public var elements: Int { dims.reduce(1, *) }

    init(_ b: ArraySlice<UInt8>, field: String, limits: ONNXLimits) throws(ONNXError) {
        var r = ProtobufReader(b, context: field)
        var type: Int64 = 0, raw: ArraySlice<UInt8>? = nil, external = false
        var rawFloats: [Float] = [], rawInts: [Int64] = []
        do {
            while let (number, wire) = try r.field() {
                switch (number, wire) {
                case (1, .varint):
                    guard dims.count < limits.maxRank else { throw ONNXError(r.context, "rank above \(limits.maxRank)") }
                    dims.append(Int(truncatingIfNeeded: try r.int64()))
                case (1, .bytes):
                    var p = r.nested(try r.lengthDelimited())
                    while !p.atEnd {
                        guard dims.count < limits.maxRank else { throw ONNXError(r.context, "rank above \(limits.maxRank)") }
                        dims.append(Int(truncatingIfNeeded: try p.int64()))
                    }
                case (2, .varint): type = try r.int64()
                case (8, .bytes): name = try r.string()
                case (9, .bytes): raw = try r.lengthDelimited()
                case (4, .fixed32): rawFloats.append(Float(bitPattern: try r.fixed32()))
                case (4, .bytes):
                    var p = r.nested(try r.lengthDelimited())
                    guard p.bytes.count / 4 <= limits.maxTensorElements else { throw ONNXError(r.context, "too many float_data values") }
                    rawFloats.reserveCapacity(p.bytes.count / 4)
                    while !p.atEnd { rawFloats.append(Float(bitPattern: try p.fixed32())) }
                case (5, .bytes), (7, .bytes):
                    var p = r.nested(try r.lengthDelimited())
                    while !p.atEnd {
                        guard rawInts.count < limits.maxTensorElements else { throw ONNXError(r.context, "too many integer values") }
                        rawInts.append(try p.int64())
                    }
                case (5, .varint), (7, .varint):
                    guard rawInts.count < limits.maxTensorElements else { throw ONNXError(r.context, "too many integer values") }
                    rawInts.append(try r.int64())
                case (14, .varint): external = try r.varint() == 1
                default: try r.skip(wire)
                }
            }
        }
        let at = name.isEmpty ? field : "\(field) '\(name)'"
        guard !external else { throw ONNXError(at, "keeps its data in an external file (save the model with its weights inside)") }
        guard let t = DataType(rawValue: Int32(truncatingIfNeeded: type)) else {
            throw ONNXError(at, "data type \(type) (float32, uint8, int8, int32 and int64 tensors are read)")
        }
        dataType = t
        var n = 1
        for d in dims {
            guard d >= 0 else { throw ONNXError(at, "dimension \(d) is negative") }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            guard !overflow, p <= limits.maxTensorElements else { throw ONNXError(at, "shape \(dims) holds more than \(limits.maxTensorElements) values") }
            n = p
        }
        let size = t.size
        if let raw {
            guard raw.count == n * size else { throw ONNXError(at, "raw_data holds \(raw.count) bytes; shape \(dims) of \(t) needs \(n * size)") }
            var i = raw.startIndex
            if t == .float {
                floats.reserveCapacity(n)
                for _ in 0 ..< n {
                    floats.append(Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24))
                    i += 4
                }
            } else {
                ints.reserveCapacity(n)
                for _ in 0 ..< n {
                    var v: UInt64 = 0
                    for k in 0 ..< size { v |= UInt64(raw[i + k]) << UInt64(8 * k) }
                    switch t {
                    case .int8: ints.append(Int64(Int8(bitPattern: UInt8(truncatingIfNeeded: v))))
                    case .uint8: ints.append(Int64(v))
                    case .int32: ints.append(Int64(Int32(bitPattern: UInt32(truncatingIfNeeded: v))))
                    default: ints.append(Int64(bitPattern: v))
                    }
                    i += size
                }
            }
        } else if t == .float {
            guard rawFloats.count == n else { throw ONNXError(at, "float_data holds \(rawFloats.count) values; shape \(dims) needs \(n)") }
            floats = rawFloats
        } else {
            guard rawInts.count == n else { throw ONNXError(at, "integer data holds \(rawInts.count) values; shape \(dims) needs \(n)") }
            ints = rawInts
        }
    }

    public init(name: String, dims: [Int], floats: [Float]) {
        self.name = name
        self.dims = dims
        self.floats = floats
    }
}

/// A graph input or output: its name and, where the file says, its shape (nil for a
/// symbolic dimension such as the batch).
public struct ONNXValueInfo: Sendable {
    public var name = ""
    public var shape: [Int?] = []

    init(_ b: ArraySlice<UInt8>, field: String, limits: ONNXLimits) throws(ONNXError) {
        var r = ProtobufReader(b, context: field)
        do {
            while let (number, wire) = try r.field() {
                switch (number, wire) {
                case (1, .bytes): name = try r.string()
                case (2, .bytes):
                    // TypeProto.tensor_type (1) → Tensor.shape (2) → TensorShapeProto.dim (1).
                    var type = r.nested(try r.lengthDelimited())
                    while let (n1, w1) = try type.field() {
                        guard n1 == 1, w1 == .bytes else { try type.skip(w1); continue }
                        var tensor = type.nested(try type.lengthDelimited())
                        while let (n2, w2) = try tensor.field() {
                            guard n2 == 2, w2 == .bytes else { try tensor.skip(w2); continue }
                            var shapeReader = tensor.nested(try tensor.lengthDelimited())
                            while let (n3, w3) = try shapeReader.field() {
                                guard n3 == 1, w3 == .bytes else { try shapeReader.skip(w3); continue }
                                guard shape.count < limits.maxRank else { throw ONNXError(r.context, "rank above \(limits.maxRank)") }
                                var dim = shapeReader.nested(try shapeReader.lengthDelimited())
                                var value: Int? = nil
                                while let (n4, w4) = try dim.field() {
                                    if n4 == 1, w4 == .varint { value = Int(truncatingIfNeeded: try dim.int64()) } else { try dim.skip(w4) }
                                }
                                shape.append(value)
                            }
                        }
                    }
                default: try r.skip(wire)
                }
            }
        }
    }
}
