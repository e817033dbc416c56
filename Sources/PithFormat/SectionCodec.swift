/// Encoding and decoding of the three structured sections: metadata, tensor table and
/// graph (docs/FORMAT.md). Decoding checks each field as it reads it (lengths, counts,
/// codes); the cross-checks between sections are in `Validation`.
enum SectionCodec {
    // MARK: metadata — u32 count, then (string key, u8 type, value) per entry.

    static func encode(_ metadata: Metadata) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(metadata.entries.count))
        for (key, value) in metadata.entries {
            w.string(key)
            w.u8(value.typeCode)
            switch value {
            case let .string(s): w.string(s)
            case let .int(i): w.i64(i)
            case let .double(d): w.f64(d)
            case let .strings(list):
                w.u32(UInt32(list.count))
                for s in list { w.string(s) }
            }
        }
        return w.bytes
    }

    static func decodeMetadata(_ bytes: UnsafeRawBufferPointer, limits: Limits) throws(FormatError) -> Metadata {
        var r = ByteReader(bytes, section: "metadata")
        let count = try r.count("count", limit: limits.maxMetadataEntries, minItemSize: 5)
        var metadata = Metadata()
        for i in 0 ..< count {
            let key = try r.string("entry[\(i)].key", limit: limits.maxStringLength)
            let field = "metadata.\(key)"
            guard !key.isEmpty else { throw .invalid(field: "metadata.entry[\(i)].key", problem: "empty key") }
            guard metadata[key] == nil else { throw .invalid(field: field, problem: "key appears twice") }
            let type = try r.u8("\(key).type")
            if let required = Metadata.requiredType(of: key), required != type {
                throw .invalid(field: field, problem: "type \(type), the spec says \(required)")
            }
            let value: MetadataValue
            switch type {
            case 1: value = .string(try r.string(key, limit: limits.maxStringLength))
            case 2: value = .int(try r.i64(key))
            case 3:
                let d = try r.f64(key)
                guard d.isFinite else { throw .invalid(field: field, problem: "not a finite number") }
                value = .double(d)
            case 4:
                let n = try r.count("\(key).count", limit: limits.maxListCount, minItemSize: 4)
                var list: [String] = []
                list.reserveCapacity(n)
                for j in 0 ..< n { list.append(try r.string("\(key)[\(j)]", limit: limits.maxStringLength)) }
                value = .strings(list)
            default: throw .invalid(field: field, problem: "unknown value type \(type)")
            }
            metadata[key] = value
        }
        guard r.isAtEnd else { throw .invalid(field: "metadata", problem: "\(r.remaining) bytes after the last entry") }
        return metadata
    }

    // MARK: tensor table — u32 count, then one entry per tensor.

    static func encode(_ tensors: [TensorInfo]) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(tensors.count))
        for t in tensors {
            w.string(t.name)
            w.u8(t.dtype.rawValue)
            w.u8(t.role.rawValue)
            w.u8(UInt8(t.shape.count))
            for d in t.shape { w.u32(UInt32(d)) }
            switch t.quantization {
            case .none: w.u8(0)
            case let .perTensor(scale, zeroPoint):
                w.u8(1)
                w.f32(scale)
                w.i32(zeroPoint)
            case let .perChannel(axis, scales, zeroPoints):
                w.u8(2)
                w.u8(UInt8(axis))
                for s in scales { w.f32(s) }
                for z in zeroPoints { w.i32(z) }
            }
            if let loc = t.location {
                w.u32(UInt32(loc.section))
                w.u64(UInt64(loc.offset))
                w.u64(UInt64(loc.size))
                w.u8(loc.filter.rawValue)
            }
        }
        return w.bytes
    }

    static func decodeTensors(_ bytes: UnsafeRawBufferPointer, limits: Limits) throws(FormatError) -> [TensorInfo] {
        var r = ByteReader(bytes, section: "tensor table")
        let count = try r.count("count", limit: limits.maxTensors, minItemSize: 8)
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(count)
        for i in 0 ..< count {
            let name = try r.string("tensor[\(i)].name", limit: limits.maxStringLength)
            let field = "tensor '\(name)'"
            guard !name.isEmpty else { throw .invalid(field: "tensor table.tensor[\(i)].name", problem: "empty name") }
            let dtypeCode = try r.u8("\(name).dtype")
            guard let dtype = DType(rawValue: dtypeCode) else { throw .unknownDType(tensor: name, code: dtypeCode) }
            let roleCode = try r.u8("\(name).role")
            guard let role = TensorRole(rawValue: roleCode) else {
                throw .invalid(field: "\(field).role", problem: "unknown role \(roleCode)")
            }
            let rank = try r.u8("\(name).rank")
            guard rank <= limits.maxRank else {
                throw .limitExceeded(field: "\(field).rank", value: UInt64(rank), limit: UInt64(limits.maxRank))
            }
            var shape: [Int] = []
            var elements: UInt64 = 1
            for axis in 0 ..< Int(rank) {
                let d = try r.u32("\(name).dims[\(axis)]")
                guard d >= 1, d <= limits.maxDimension else {
                    throw .invalid(field: "\(field).dims[\(axis)]", problem: "\(d) is outside 1...\(limits.maxDimension)")
                }
                elements *= UInt64(d)  // ≤ 2³¹ · 2²⁴ before the check below: no overflow
                guard elements <= limits.maxElements else {
                    throw .limitExceeded(field: "\(field).elements", value: elements, limit: limits.maxElements)
                }
                shape.append(Int(d))
            }
            let quantization = try decodeQuantization(&r, name: name, dtype: dtype, shape: shape)
            var location: DataLocation? = nil
            if role == .constant {
                let section = try r.u32("\(name).dataSection")
                let offset = try r.u64("\(name).dataOffset")
                let size = try r.u64("\(name).dataSize")
                let filterCode = try r.u8("\(name).filter")
                guard let filter = DataFilter(rawValue: filterCode) else {
                    throw .invalid(field: "\(field).filter", problem: "unknown filter \(filterCode)")
                }
                guard filter == .none || (dtype.size == 1 && rank >= 1) else {
                    throw .invalid(field: "\(field).filter", problem: "\(filter.name) applies to 8-bit tensors of rank ≥ 1 only")
                }
                guard offset % 64 == 0 else { throw .misaligned(field: "\(field).dataOffset", value: offset) }
                guard size == elements * UInt64(dtype.size) else {
                    throw .invalid(field: "\(field).dataSize", problem: "\(size) bytes, but \(elements) \(dtype.name) elements need \(elements * UInt64(dtype.size))")
                }
                // Both below 2⁶³ here only if they fit a section; Validation checks the range.
                guard offset <= limits.maxSectionSize else {
                    throw .invalid(field: "\(field).dataOffset", problem: "\(offset) is past any section")
                }
                location = DataLocation(section: Int(section), offset: Int(offset), size: Int(size), filter: filter)
            }
            tensors.append(TensorInfo(name: name, dtype: dtype, shape: shape, role: role, quantization: quantization, location: location))
        }
        guard r.isAtEnd else { throw .invalid(field: "tensor table", problem: "\(r.remaining) bytes after the last tensor") }
        return tensors
    }

    private static func decodeQuantization(_ r: inout ByteReader, name: String, dtype: DType, shape: [Int]) throws(FormatError) -> Quantization {
        let field = "tensor '\(name)'.quantization"
        let kind = try r.u8("\(name).quantization")
        if kind != 0 && dtype == .float32 {
            throw .invalid(field: field, problem: "a float32 tensor cannot be quantized")
        }
        func zeroPoint(_ z: Int32) throws(FormatError) -> Int32 {
            guard dtype.zeroPointRange.contains(z) else {
                throw .invalid(field: "\(field).zeroPoint", problem: "\(z) is outside \(dtype.zeroPointRange.lowerBound)...\(dtype.zeroPointRange.upperBound) for \(dtype.name)")
            }
            return z
        }
        func scale(_ s: Float) throws(FormatError) -> Float {
            guard s.isFinite, s > 0 else { throw .invalid(field: "\(field).scale", problem: "scales must be finite and positive") }
            return s
        }
        switch kind {
        case 0: return .none
        case 1:
            let s = try scale(r.f32("\(name).scale"))
            return .perTensor(scale: s, zeroPoint: try zeroPoint(r.i32("\(name).zeroPoint")))
        case 2:
            let axis = Int(try r.u8("\(name).axis"))
            guard axis < shape.count else {
                throw .invalid(field: "\(field).axis", problem: "axis \(axis) but rank \(shape.count)")
            }
            let n = shape[axis]
            guard n * 8 <= r.remaining else { throw .truncated(field: "tensor table.\(name).scales") }
            var scales: [Float] = []
            var zeroPoints: [Int32] = []
            scales.reserveCapacity(n)
            zeroPoints.reserveCapacity(n)
            for _ in 0 ..< n { scales.append(try scale(r.f32("\(name).scales"))) }
            for _ in 0 ..< n { zeroPoints.append(try zeroPoint(r.i32("\(name).zeroPoints"))) }
            return .perChannel(axis: axis, scales: scales, zeroPoints: zeroPoints)
        default:
            throw .invalid(field: field, problem: "unknown quantization kind \(kind)")
        }
    }

    // MARK: graph — inputs, outputs, nodes.

    static func encode(_ graph: Graph) -> [UInt8] {
        var w = ByteWriter()
        w.u32(UInt32(graph.inputs.count))
        for i in graph.inputs { w.u32(UInt32(i)) }
        w.u32(UInt32(graph.outputs.count))
        for o in graph.outputs { w.u32(UInt32(o)) }
        w.u32(UInt32(graph.nodes.count))
        for node in graph.nodes {
            w.u16(node.op.rawValue)
            w.string(node.name)
            w.u8(UInt8(node.inputs.count))
            for i in node.inputs { w.u32(UInt32(i)) }
            w.u8(UInt8(node.outputs.count))
            for o in node.outputs { w.u32(UInt32(o)) }
            w.u8(UInt8(node.attributes.count))
            for a in node.attributes {
                w.string(a.key)
                w.i64(a.value)
            }
        }
        return w.bytes
    }

    static func decodeGraph(_ bytes: UnsafeRawBufferPointer, limits: Limits) throws(FormatError) -> Graph {
        var r = ByteReader(bytes, section: "graph")
        func indices(_ field: String, _ n: Int) throws(FormatError) -> [Int] {
            var list: [Int] = []
            list.reserveCapacity(n)
            for i in 0 ..< n { list.append(Int(try r.u32("\(field)[\(i)]"))) }
            return list
        }
        let inputs = try indices("inputs", r.count("inputCount", limit: limits.maxGraphIO, minItemSize: 4))
        let outputs = try indices("outputs", r.count("outputCount", limit: limits.maxGraphIO, minItemSize: 4))
        let nodeCount = try r.count("nodeCount", limit: limits.maxNodes, minItemSize: 9)
        var nodes: [Node] = []
        nodes.reserveCapacity(nodeCount)
        for n in 0 ..< nodeCount {
            let code = try r.u16("node[\(n)].op")
            let name = try r.string("node[\(n)].name", limit: limits.maxStringLength)
            guard let op = OpCode(rawValue: code) else { throw .unknownOp(node: name, code: code) }
            let nIn = try r.u8("\(name).inputCount")
            guard nIn <= limits.maxNodeInputs else {
                throw .limitExceeded(field: "node '\(name)'.inputCount", value: UInt64(nIn), limit: UInt64(limits.maxNodeInputs))
            }
            let ins = try indices("\(name).inputs", Int(nIn))
            let nOut = try r.u8("\(name).outputCount")
            guard nOut <= limits.maxNodeOutputs else {
                throw .limitExceeded(field: "node '\(name)'.outputCount", value: UInt64(nOut), limit: UInt64(limits.maxNodeOutputs))
            }
            let outs = try indices("\(name).outputs", Int(nOut))
            let nAttr = try r.u8("\(name).attributeCount")
            guard nAttr <= limits.maxAttributes else {
                throw .limitExceeded(field: "node '\(name)'.attributeCount", value: UInt64(nAttr), limit: UInt64(limits.maxAttributes))
            }
            var attributes: [Attribute] = []
            for a in 0 ..< Int(nAttr) {
                let key = try r.string("\(name).attribute[\(a)].key", limit: limits.maxStringLength)
                attributes.append(Attribute(key, try r.i64("\(name).\(key)")))
            }
            nodes.append(Node(op: op, name: name, inputs: ins, outputs: outs, attributes: attributes))
        }
        guard r.isAtEnd else { throw .invalid(field: "graph", problem: "\(r.remaining) bytes after the last node") }
        return Graph(inputs: inputs, outputs: outputs, nodes: nodes)
    }
}
