import PithFormat
import PithRuntime

// The C API of include/pith.h (Sources/CPithAPI), on top of `Interpreter`. A model handle
// is a retained `CModel`; errors go to a thread-local string that pith_last_error returns.

@_silgen_name("pith_set_last_error")
func pith_set_last_error(_ message: UnsafePointer<CChar>?)

func setError(_ message: String) {
    var text = message
    text.withUTF8 { bytes in
        var buffer = [CChar](repeating: 0, count: bytes.count + 1)
        for i in 0..<bytes.count { buffer[i] = CChar(bitPattern: bytes[i]) }
        buffer.withUnsafeBufferPointer { pith_set_last_error($0.baseAddress) }
    }
}

/// A model and the buffers that convert float32 to and from its edge dtypes.
final class CModel {
    let interpreter: Interpreter
    var input: [UInt8]
    var output: [UInt8]

    init(_ interpreter: Interpreter) {
        self.interpreter = interpreter
        input = [UInt8](repeating: 0, count: interpreter.inputElements * interpreter.inputType.size * interpreter.maxBatch)
        output = [UInt8](repeating: 0, count: interpreter.outputElements * interpreter.outputType.size * interpreter.maxBatch)
    }

    func quantization(_ tensor: Int) -> (scale: Float, zero: Int32) {
        if case let .perTensor(s, z) = interpreter.file.tensors[tensor].quantization { return (s, z) }
        return (1, 0)
    }

    func run(_ x: UnsafePointer<Float>, batch: Int, _ y: UnsafeMutablePointer<Float>) throws(RuntimeError) {
        let nIn = interpreter.inputElements * batch, nOut = interpreter.outputElements * batch
        for i in 0..<nIn where !x[i].isFinite { throw .badInput("value \(i) is not finite") }
        let inType = interpreter.inputType
        if inType == .float32 {
            for i in 0..<nIn { input.withUnsafeMutableBytes { $0.storeBytes(of: x[i], toByteOffset: 4 * i, as: Float.self) } }
        } else {
            let q = quantization(interpreter.file.graph.inputs[0])
            let lo: Float = inType == .uint8 ? 0 : -128, hi: Float = inType == .uint8 ? 255 : 127
            for i in 0..<nIn {
                let v = min(hi, max(lo, (x[i] / q.scale).rounded(.toNearestOrEven) + Float(q.zero)))
                input[i] = inType == .uint8 ? UInt8(v) : UInt8(bitPattern: Int8(v))
            }
        }
        var failure: RuntimeError? = nil
        input.withUnsafeBytes { i in
            output.withUnsafeMutableBytes { o in
                do throws(RuntimeError) { try interpreter.run(input: i.baseAddress!, output: o.baseAddress!, batch: batch) } catch { failure = error }
            }
        }
        if let failure { throw failure }
        let outType = interpreter.outputType
        if outType == .float32 {
            output.withUnsafeBytes { o in for i in 0..<nOut { y[i] = o.load(fromByteOffset: 4 * i, as: Float.self) } }
        } else {
            let q = quantization(interpreter.file.graph.outputs[0])
            for i in 0..<nOut {
                let code = outType == .uint8 ? Int32(output[i]) : Int32(Int8(bitPattern: output[i]))
                y[i] = q.scale * Float(code - q.zero)
            }
        }
    }
}

@_cdecl("pith_open")
public func pith_open(_ path: UnsafePointer<CChar>?, _ maxBatch: Int32) -> UnsafeMutableRawPointer? {
    guard let path else {
        setError("pith_open: path is NULL")
        return nil
    }
    let name = String(cString: path)
    do {
        let model = CModel(try Interpreter(path: name, maxBatch: Int(maxBatch)))
        setError("")
        return Unmanaged.passRetained(model).toOpaque()
    } catch {
        setError("\(name): \(error.description)")
        return nil
    }
}

func model(_ m: UnsafeRawPointer?) -> CModel? {
    guard let m else { return nil }
    return Unmanaged<CModel>.fromOpaque(m).takeUnretainedValue()
}

func copyShape(_ shape: [Int], _ dims: UnsafeMutablePointer<Int64>?, _ maxDims: Int32) -> Int32 {
    if let dims { for (i, d) in shape.prefix(Int(max(0, maxDims))).enumerated() { dims[i] = Int64(d) } }
    return Int32(shape.count)
}

@_cdecl("pith_input_shape")
public func pith_input_shape(_ m: UnsafeRawPointer?, _ dims: UnsafeMutablePointer<Int64>?, _ maxDims: Int32) -> Int32 {
    guard let model = model(m) else { setError("pith_input_shape: model is NULL"); return -1 }
    return copyShape(model.interpreter.inputShape, dims, maxDims)
}

@_cdecl("pith_output_shape")
public func pith_output_shape(_ m: UnsafeRawPointer?, _ dims: UnsafeMutablePointer<Int64>?, _ maxDims: Int32) -> Int32 {
    guard let model = model(m) else { setError("pith_output_shape: model is NULL"); return -1 }
    return copyShape(model.interpreter.outputShape, dims, maxDims)
}

@_cdecl("pith_input_size")
public func pith_input_size(_ m: UnsafeRawPointer?) -> Int64 { Int64(model(m)?.interpreter.inputElements ?? -1) }

@_cdecl("pith_output_size")
public func pith_output_size(_ m: UnsafeRawPointer?) -> Int64 { Int64(model(m)?.interpreter.outputElements ?? -1) }

@_cdecl("pith_run")
public func pith_run(_ m: UnsafeMutableRawPointer?, _ input: UnsafePointer<Float>?, _ batch: Int32,
                     _ output: UnsafeMutablePointer<Float>?) -> Int32 {
    guard let model = model(m), let input, let output else { setError("pith_run: a NULL argument"); return -1 }
    guard batch >= 1, Int(batch) <= model.interpreter.maxBatch else {
        setError("pith_run: batch \(batch) is outside 1...\(model.interpreter.maxBatch)")
        return -1
    }
    do {
        try model.run(input, batch: Int(batch), output)
        return 0
    } catch {
        setError(error.description)
        return -1
    }
}

@_cdecl("pith_close")
public func pith_close(_ m: UnsafeMutableRawPointer?) {
    guard let m else { return }
    Unmanaged<CModel>.fromOpaque(m).release()
}
