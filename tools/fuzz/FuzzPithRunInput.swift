// libFuzzer target for what pith-run reads besides the model (built by tools/fuzz): the
// input samples (IDX, .npy, CSV, raw), the --labels file, and a standalone executable's
// trailer. The first byte chooses what is read and the model's width; every input must
// give samples of that width or a Failure, and a trailer must give the model bytes it
// describes or a Failure.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPithRunInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let choice = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let features = [1, 2, 3, 4, 10, 64, 784][Int(choice >> 4) % 7]
    switch choice % 4 {
    case 0, 1:
        guard let s = try? InputReader.samples(bytes, name: "input", features: features, raw: choice % 4 == 1 ? true : (choice % 4 == 2 ? false : nil)) else { return 0 }
        precondition(s.count >= 1 && s.values.count == s.count * features, "samples of the wrong width")
    case 2:
        let count = Int(choice >> 4) + 1
        guard let labels = try? InputReader.labels(bytes, name: "labels", count: count) else { return 0 }
        precondition(labels.count == count && labels.allSatisfy { $0 >= 0 }, "labels of the wrong count")
    default:
        let model = try? EmbeddedModel.locate(fileSize: bytes.count, name: "exe") { offset, count in
            precondition(offset >= 0 && count >= 0 && offset <= bytes.count - count, "a read outside the executable")
            return Array(bytes[offset ..< offset + count])
        }
        if let model { precondition(model.count + 24 <= bytes.count, "a model larger than its executable") }
    }
    return 0
}

/// pith-run's fail() (main.swift, not built into the fuzzer): the readers above must
/// never call it.
func fail(_ message: String) -> Never { fatalError("fail() called: \(message)") }
