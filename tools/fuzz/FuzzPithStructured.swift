// libFuzzer target: structure-aware `.pith` files (built by tools/fuzz, not by SwiftPM).
//
// Each input chooses a model (ModelGenerator.swift), written well formed and checksummed;
// the reader must accept every file the writer checked, and whatever the reader accepts
// goes to the runtime (FuzzPithRuntime.swift), which must load it or refuse it with a
// typed error, and run it the same way at every batch size and thread count.

@testable import PithFormat

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPithStructured(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var generator = ModelGenerator(FuzzBytes(UnsafeRawBufferPointer(start: data, count: size)))
    let (model, options, validate) = generator.generate()
    guard let bytes = try? PithWriter.encode(model, options: options, validate: validate).bytes else { return 0 }
    let read: PithFile?
    do { read = try PithFile(bytes: bytes) } catch {
        if validate { fatalError("the reader refuses a file the writer checked: \(error.description)") }
        read = nil
    }
    if let read { fuzzRuntime(read) }
    return 0
}
