import PithFormat
import PithRuntime

// The C API of include/pith.h (Sources/CPithAPI), on top of `Interpreter`. A model handle
// is a retained `CModel`; errors go to a thread-local string that pith_last_error returns.
// Every entry point sets it: "" on success (`succeeded`), one line on failure (`failed`).

@_silgen_name("pith_set_last_error")
func pith_set_last_error(_ message: UnsafePointer<CChar>?)

/// Sets this thread's error to `message` (cut on a character boundary by api.c); returns
/// `result`, the failing call's return value.
func failed<T>(_ message: String, _ result: T) -> T {
    message.withCString { pith_set_last_error($0) }
    return result
}

/// Clears this thread's error (without allocating); returns `result`.
func succeeded<T>(_ result: T) -> T {
    pith_set_last_error(nil)
    return result
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

    /// Encodes batch × inputElements floats (IOQuantization: NaN and infinity refused), runs
    /// the interpreter, and decodes batch × outputElements floats into `y`.
    func run(_ x: UnsafePointer<Float>, batch: Int, _ y: UnsafeMutablePointer<Float>) throws(RuntimeError) {
        let nIn = interpreter.inputElements * batch, nOut = interpreter.outputElements * batch
        var failure: RuntimeError? = nil
        input.withUnsafeMutableBytes { i in
            output.withUnsafeMutableBytes { o in
                do throws(RuntimeError) {
                    try interpreter.inputQuantization.encode(UnsafeBufferPointer(start: x, count: nIn), into: i.baseAddress!,
                                                             valuesPerSample: interpreter.inputElements)
                    try interpreter.run(input: i.baseAddress!, output: o.baseAddress!, batch: batch)
                    interpreter.outputQuantization.decode(o.baseAddress!, count: nOut, into: y)
                } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }
}

@_cdecl("pith_open")
public func pith_open(_ path: UnsafePointer<CChar>?, _ maxBatch: Int32) -> UnsafeMutableRawPointer? {
    guard let path else { return failed("pith_open: path is NULL", nil) }
    let name = String(cString: path)
    do {
        let model = CModel(try Interpreter(path: name, maxBatch: Int(maxBatch)))
        return succeeded(Unmanaged.passRetained(model).toOpaque())
    } catch {
        return failed("\(name): \(error.description)", nil)
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
    guard let model = model(m) else { return failed("pith_input_shape: model is NULL", -1) }
    return succeeded(copyShape(model.interpreter.inputShape, dims, maxDims))
}

@_cdecl("pith_output_shape")
public func pith_output_shape(_ m: UnsafeRawPointer?, _ dims: UnsafeMutablePointer<Int64>?, _ maxDims: Int32) -> Int32 {
    guard let model = model(m) else { return failed("pith_output_shape: model is NULL", -1) }
    return succeeded(copyShape(model.interpreter.outputShape, dims, maxDims))
}

@_cdecl("pith_input_size")
public func pith_input_size(_ m: UnsafeRawPointer?) -> Int64 {
    guard let model = model(m) else { return failed("pith_input_size: model is NULL", -1) }
    return succeeded(Int64(model.interpreter.inputElements))
}

@_cdecl("pith_output_size")
public func pith_output_size(_ m: UnsafeRawPointer?) -> Int64 {
    guard let model = model(m) else { return failed("pith_output_size: model is NULL", -1) }
    return succeeded(Int64(model.interpreter.outputElements))
}

/// Checks every argument before it reads or writes a value: `input` must hold
/// batch × inputElements floats (`inputCount` of them are there), `output` must have room
/// for batch × outputElements (`outputCount`).
@_cdecl("pith_run")
public func pith_run(_ m: UnsafeMutableRawPointer?, _ input: UnsafePointer<Float>?, _ inputCount: Int64, _ batch: Int32,
                     _ output: UnsafeMutablePointer<Float>?, _ outputCount: Int64) -> Int32 {
    guard let model = model(m) else { return failed("pith_run: model is NULL", -1) }
    guard let input else { return failed("pith_run: input is NULL", -1) }
    guard let output else { return failed("pith_run: output is NULL", -1) }
    let interpreter = model.interpreter
    guard batch >= 1, Int(batch) <= interpreter.maxBatch else {
        return failed("pith_run: batch \(batch) is outside 1...\(interpreter.maxBatch)", -1)
    }
    // batch ≤ maxBatch and the per-sample sizes are what the interpreter allocated for: no overflow.
    let needIn = Int64(batch) * Int64(interpreter.inputElements), needOut = Int64(batch) * Int64(interpreter.outputElements)
    guard inputCount >= needIn else {
        return failed("pith_run: input holds \(inputCount) floats; batch \(batch) needs \(batch) × \(interpreter.inputElements) = \(needIn)", -1)
    }
    guard outputCount >= needOut else {
        return failed("pith_run: output has room for \(outputCount) floats; batch \(batch) needs \(batch) × \(interpreter.outputElements) = \(needOut)", -1)
    }
    do {
        try model.run(input, batch: Int(batch), output)
        return succeeded(0)
    } catch {
        return failed(error.description, -1)
    }
}

@_cdecl("pith_close")
public func pith_close(_ m: UnsafeMutableRawPointer?) {
    pith_set_last_error(nil)
    guard let m else { return }
    Unmanaged<CModel>.fromOpaque(m).release()
}
