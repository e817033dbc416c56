// libFuzzer target for the .pith reader (built by tools/fuzz-run pith-reader, not by SwiftPM).
//
// Each input is read twice: as a device would (checksums verified) and with checksums
// off, so that mutated inputs reach the structural checks behind the checksums. An
// input the reader accepts must survive the writer: re-encoding it gives a file that
// reads back to the same model, and the runtime must load it or refuse it with a typed
// error (FuzzPithRuntime.swift). Anything else that goes wrong is a crash for libFuzzer.

import PithFormat

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPithReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = try? PithFile(bytes: bytes)
    var options = ReadOptions()
    options.verifyChecksums = false
    guard let file = try? PithFile(bytes: bytes, options: options) else { return 0 }
    fuzzRuntime(file)
    var model = file.model()
    for i in model.tensors.indices where model.tensors[i].role == .constant {
        precondition(model.data[i].count == model.tensors[i].byteCount, "data size disagrees with the table")
    }
    guard let rewritten = try? PithWriter.encode(model).bytes else {
        // The writer refuses only what the reader would: e.g. a tensor-data section no
        // constant uses is allowed on read but never written. Nothing else may differ.
        return 0
    }
    guard let again = try? PithFile(bytes: rewritten) else { fatalError("the reader refuses the writer's file") }
    var back = again.model()
    for i in model.tensors.indices {
        model.tensors[i].location = nil
        back.tensors[i].location = nil
    }
    precondition(back == model, "a model changed on its way through the writer")
    return 0
}
