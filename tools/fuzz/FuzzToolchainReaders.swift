// libFuzzer target for the toolchain's readers of outside bytes (built by tools/fuzz-run
// on PithPipeline and what it imports, compiled with coverage): checkpoints (their CRC-32 re-sealed, so
// mutations reach the header and the shapes behind it; then the model they describe),
// labelled CSV, IDX, NPY and NPZ (PithIO), gzip, model descriptions and pipeline recipes
// (PithPipeline's Recipe, its strict JSON parser and the typed settings its keys set). The first byte
// chooses the reader (byte % 6; for reader 2, byte / 6 % 3 picks IDX, NPY or NPZ). Each
// must return a value or an error — never trap, hang or allocate past its documented limit.

import CZlib
import PithIO
import PithNN
import PithPipeline

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
        // Class numbers in 0..<classes below 0x80, else a header row detected and names or
        // numbers, the label in column 0.
        let classes = Int(data[0] >> 3) + 1
        let options = data[0] < 0x80 ? CSV.Options(labels: .integers(classes: classes)) : CSV.Options(label: .index(0))
        if let t = try? CSV.parse(bytes, file: "fuzz.csv", options: options) {
            precondition(t.features.count == t.rows * t.featureCount && t.labels.count == t.rows, "CSV rows of the wrong width")
            precondition(t.labels.allSatisfy { $0 >= 0 && Int($0) < t.classes }, "a CSV label out of range")
            precondition(t.classNames.map { $0.count == t.classes } ?? true, "class names and classes disagree")
        }
    case 2:
        switch data[0] / 6 % 3 {
        case 0:
            if let a = try? IDX.decode(bytes, file: "fuzz.idx") { precondition(a.count == a.shape.reduce(1, *), "IDX values disagree with the header") }
        case 1:
            if let a = try? NPY.decode(bytes, file: "fuzz.npy") { precondition(a.count == a.shape.reduce(1, *), "NPY values disagree with the header") }
        default:
            let members = try? NPZ.decode(bytes, file: "fuzz.npz") { entry, data throws(IOFailure) -> [UInt8] in
                guard case let .success(b) = Gzip.inflateRaw(data, size: min(entry.uncompressedSize, 1 << 20)) else { throw IOFailure("fuzz.npz", "bad deflate") }
                return b
            }
            for m in members ?? [] { precondition(m.array.count == m.array.shape.reduce(1, *), "NPZ array disagrees with its header") }
        }
    case 3:
        _ = Gzip.decompress(bytes, limit: 1 << 20)
    case 4:
        _ = try? ModelDescription(parsing: String(decoding: bytes, as: UTF8.self), source: "fuzz.model")
    default:
        if let recipe = try? Recipe(parsing: bytes, path: "fuzz.recipe") {
            _ = try? recipe.teacherSettings()
            _ = try? recipe.studentSettings()
            _ = try? recipe.quantizeSettings()
        }
    }
    return 0
}
