// libFuzzer target for the model-interchange readers (built by tools/fuzz-run onnx-reader,
// not by SwiftPM): the protobuf decoder with its limits (ONNXModel), the lowering to Pith's
// layers (ONNXImport) and the safetensors reader (SafeTensors), seeded with the import
// fixtures PyTorch wrote. Every input must decode and import, or be refused with an
// ONNXError or PithError; an imported model must build.

import PithONNX

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNXReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let entries = try? SafeTensors.decode(bytes, path: "fuzz") {
        for e in entries { precondition(e.values.count == e.shape.reduce(1, *), "a tensor's values disagree with its shape") }
    }
    // Tight limits, so that a small input can reach every bound.
    var limits = ONNXLimits()
    limits.maxTensorElements = 1 << 16
    limits.maxTotalElements = 1 << 18
    guard let model = try? ONNXModel(bytes: bytes, limits: limits) else { return 0 }
    guard let imported = try? ONNXImport(model, name: "fuzz") else { return 0 }
    guard imported.description.parameterCount <= 1 << 18 else { return 0 }
    let m = imported.model()
    precondition(m.parameters.count == imported.parameters.count, "the imported weights do not fit the model")
    return 0
}
