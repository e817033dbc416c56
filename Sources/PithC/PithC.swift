import PithFormat
import PithRuntime

// The C API of include/pith.h (Sources/CPithAPI), on top of `Interpreter`. A model handle
// is a retained `CModel`; errors go to a thread-local string that pith_last_error returns.
// Every entry point sets it: "" on success (`succeeded`), one line on failure (`failed`).
// It compiles as Embedded Swift too (tools/build-libpith: libpith.a for the host and the
// microcontrollers, where pith_open, which reads a path, is left out).

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

/// A model and the buffers that convert float32 to and from its edge dtypes, with its
/// class labels as C strings (the metadata's `model.labels`).
final class CModel {
    let interpreter: Interpreter
    var input: [UInt8]
    var output: [UInt8]
    let labels: [UnsafeMutablePointer<CChar>]

    init(_ interpreter: Interpreter) {
        self.interpreter = interpreter
        input = [UInt8](repeating: 0, count: interpreter.inputElements * interpreter.inputType.size * interpreter.maxBatch)
        output = [UInt8](repeating: 0, count: interpreter.outputElements * interpreter.outputType.size * interpreter.maxBatch)
        labels = (interpreter.file.metadata.strings("model.labels") ?? []).map(cString)
    }

    deinit { for l in labels { l.deallocate() } }

    /// Encodes batch × inputElements floats (IOQuantization: NaN and infinity refused), runs
    /// the interpreter, and decodes batch × outputElements floats into `y`. A float32 edge
    /// is the caller's buffer itself (the interpreter refuses NaN and infinity in the same
    /// words): no copy.
    func run(_ x: UnsafePointer<Float>, batch: Int, _ y: UnsafeMutablePointer<Float>) throws(RuntimeError) {
        let nIn = interpreter.inputElements * batch, nOut = interpreter.outputElements * batch
        if interpreter.inputType == .float32 && interpreter.outputType == .float32 {
            try interpreter.run(input: UnsafeRawPointer(x), output: UnsafeMutableRawPointer(y), batch: batch)
            return
        }
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

/// `text` as a NUL-terminated C string the caller deallocates.
func cString(_ text: String) -> UnsafeMutablePointer<CChar> {
    let utf8 = Array(text.utf8)
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
    for (i, b) in utf8.enumerated() { p[i] = CChar(bitPattern: b) }
    p[utf8.count] = 0
    return p
}

/// The library's version, "0.19.0", as a C string that lives as long as the program.
nonisolated(unsafe) let versionCString = cString(PithVersion.string)

@_cdecl("pith_version")
public func pith_version() -> UnsafePointer<CChar> { succeeded(UnsafePointer(versionCString)) }

@_cdecl("pith_format_version")
public func pith_format_version() -> Int32 { succeeded(Int32(PithFormatVersion.current)) }

/// The model at `bytes` read in place (`PithFile(inPlace:)`), or the one line that says why not.
func inPlaceFile(_ caller: String, _ bytes: UnsafeRawPointer?, _ size: Int) -> Result<PithFile, CFailure> {
    guard let bytes else { return .failure(CFailure("\(caller): bytes is NULL")) }
    guard size > 0 else { return .failure(CFailure("\(caller): size is 0")) }
    do throws(FormatError) {
        return .success(try PithFile(inPlace: UnsafeRawBufferPointer(start: bytes, count: size)))
    } catch {
        return .failure(CFailure("\(caller): the model: \(error.description)"))
    }
}

/// One failure's line (an Error, so that `Result` can carry it).
struct CFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

#if canImport(CPosix)
@_cdecl("pith_open")
public func pith_open(_ path: UnsafePointer<CChar>?, _ maxBatch: Int32) -> UnsafeMutableRawPointer? {
    guard let path else { return failed("pith_open: path is NULL", nil) }
    let name = String(cString: path)
    do throws(RuntimeError) {
        let model = CModel(try Interpreter(path: name, maxBatch: Int(maxBatch)))
        return succeeded(Unmanaged.passRetained(model).toOpaque())
    } catch {
        return failed("\(name): \(error.description)", nil)
    }
}
#endif

/// A model in memory, read in place; its weights are packed into memory of the library's
/// (`malloc`), its activations into memory of its own too.
@_cdecl("pith_open_memory")
public func pith_open_memory(_ bytes: UnsafeRawPointer?, _ size: Int, _ maxBatch: Int32) -> UnsafeMutableRawPointer? {
    let file: PithFile
    switch inPlaceFile("pith_open_memory", bytes, size) {
    case let .success(f): file = f
    case let .failure(f): return failed(f.message, nil)
    }
    do throws(RuntimeError) {
        return succeeded(Unmanaged.passRetained(CModel(try Interpreter(file: file, maxBatch: Int(maxBatch)))).toOpaque())
    } catch {
        return failed("pith_open_memory: \(error.description)", nil)
    }
}

/// Bytes of the arena `pith_open_memory_arena` needs for this model and batch size.
@_cdecl("pith_arena_size")
public func pith_arena_size(_ bytes: UnsafeRawPointer?, _ size: Int, _ maxBatch: Int32) -> Int64 {
    let file: PithFile
    switch inPlaceFile("pith_arena_size", bytes, size) {
    case let .success(f): file = f
    case let .failure(f): return failed(f.message, -1)
    }
    do throws(RuntimeError) {
        return succeeded(Int64(try Interpreter.requiredArenaBytes(for: file, maxBatch: Int(maxBatch))))
    } catch {
        return failed("pith_arena_size: \(error.description)", -1)
    }
}

/// A model in memory, read in place, its activations planned into the caller's `arena`
/// (`arenaSize` bytes, at least `pith_arena_size`), which the caller keeps for the model's life.
@_cdecl("pith_open_memory_arena")
public func pith_open_memory_arena(_ bytes: UnsafeRawPointer?, _ size: Int, _ maxBatch: Int32,
                                   _ arena: UnsafeMutableRawPointer?, _ arenaSize: Int) -> UnsafeMutableRawPointer? {
    guard let arena else { return failed("pith_open_memory_arena: arena is NULL", nil) }
    let file: PithFile
    switch inPlaceFile("pith_open_memory_arena", bytes, size) {
    case let .success(f): file = f
    case let .failure(f): return failed(f.message, nil)
    }
    do throws(RuntimeError) {
        let interpreter = try Interpreter(file: file, arena: UnsafeMutableRawBufferPointer(start: arena, count: arenaSize), maxBatch: Int(maxBatch))
        return succeeded(Unmanaged.passRetained(CModel(interpreter)).toOpaque())
    } catch {
        return failed("pith_open_memory_arena: \(error.description)", nil)
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
    do throws(RuntimeError) {
        try model.run(input, batch: Int(batch), output)
        return succeeded(0)
    } catch {
        return failed(error.description, -1)
    }
}

/// Classes the model names (its metadata's `model.labels`); 0 when it names none.
@_cdecl("pith_class_count")
public func pith_class_count(_ m: UnsafeRawPointer?) -> Int32 {
    guard let model = model(m) else { return failed("pith_class_count: model is NULL", -1) }
    return succeeded(Int32(model.labels.count))
}

/// Class `index`'s name, owned by the model; NULL when the index is outside 0..<pith_class_count.
@_cdecl("pith_class_label")
public func pith_class_label(_ m: UnsafeRawPointer?, _ index: Int32) -> UnsafePointer<CChar>? {
    guard let model = model(m) else { return failed("pith_class_label: model is NULL", nil) }
    guard index >= 0, Int(index) < model.labels.count else {
        return failed("pith_class_label: class \(index) is outside 0..<\(model.labels.count)", nil)
    }
    return succeeded(UnsafePointer(model.labels[Int(index)]))
}

/// What an 8-bit input code is multiplied by to give the model's input (its metadata's
/// `input.scale`, 1/255 for images scaled to [0, 1]); 1 when the file gives none, -1 when m is NULL.
@_cdecl("pith_input_scale")
public func pith_input_scale(_ m: UnsafeRawPointer?) -> Double {
    guard let model = model(m) else { return failed("pith_input_scale: model is NULL", -1) }
    return succeeded(model.interpreter.file.metadata.double("input.scale") ?? 1)
}

@_cdecl("pith_close")
public func pith_close(_ m: UnsafeMutableRawPointer?) {
    pith_set_last_error(nil)
    guard let m else { return }
    Unmanaged<CModel>.fromOpaque(m).release()
}
