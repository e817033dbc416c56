// libFuzzer target for the toolchain's readers of outside bytes (built by tools/fuzz-run
// on PithNN compiled with coverage): checkpoints (their CRC-32 re-sealed, so mutations
// reach the header and the shapes behind it; then the model they describe), labelled
// CSV, IDX, gzip, model descriptions and pipeline recipes (Sources/pith/Recipe.swift and
// its strict JSON parser, compiled in). The first byte chooses the reader. Each must
// return a value or a PithError — never trap, hang or allocate past its documented limit.

import CZlib
import PithNN

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzToolchainReaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    var bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 6 {
    case 0:
        if bytes.count >= 4 {
            let n = bytes.count - 4
            let c = bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32(n))) }
            for j in 0 ..< 4 { bytes[n + j] = UInt8(truncatingIfNeeded: c >> UInt32(8 * j)) }
        }
        guard let checkpoint = try? Checkpoint(bytes: bytes, path: "fuzz.ckpt") else { return 0 }
        _ = try? checkpoint.model(path: "fuzz.ckpt")
    case 1:
        let classes = Int(data[0] >> 3) + 1
        if let parsed = try? CSVReader.parse(bytes, path: "fuzz.csv", scale: 1, classes: classes) {
            precondition(parsed.features.count == parsed.labels.count * parsed.columns, "CSV rows of the wrong width")
            precondition(parsed.labels.allSatisfy { $0 >= 0 && Int($0) < classes }, "a CSV label out of range")
        }
    case 2:
        if let idx = try? IDXFile(bytes: bytes, path: "fuzz.idx") {
            precondition(idx.values.count == idx.dimensions.reduce(1, *), "IDX values disagree with the header")
        }
    case 3:
        _ = Gzip.decompress(bytes, limit: 1 << 20)
    case 4:
        _ = try? ModelDescription(parsing: String(decoding: bytes, as: UTF8.self), source: "fuzz.model")
    default:
        _ = try? Recipe(parsing: bytes, path: "fuzz.recipe")
    }
    return 0
}
