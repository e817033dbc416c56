// The runtime in its bare-metal configuration (no libzstd, no files, no POSIX: what
// tools/embedded-check links for armv7em and riscv32), linked and run on this machine
// to show that configuration works: a model and the digits test split, linked into the
// program as bytes (ld -r -b binary), classified image by image; prints the errors, for
// tools/embedded-check to compare with pith-run's. A zstd-compressed model, given as a
// second blob, must be refused.
import CBareBlobs
import PithFormat
import PithRuntime

func bytes(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> [UInt8] {
    Array(UnsafeBufferPointer(start: start, count: end - start))
}

@main
struct BareMain {
    static func main() {
        let model = bytes(pith_blob_model_start(), pith_blob_model_end())
        let images = bytes(pith_blob_images_start(), pith_blob_images_end())
        let labels = bytes(pith_blob_labels_start(), pith_blob_labels_end())
        let compressed = bytes(pith_blob_compressed_start(), pith_blob_compressed_end())
        do throws(FormatError) {
            _ = try PithFile(bytes: compressed)
            print("FAIL: a zstd-compressed model was accepted")
            return
        } catch {
            print("compressed model refused: \(error.description)")
        }
        let file: PithFile
        do throws(FormatError) { file = try PithFile(bytes: model) } catch { print("FAIL: \(error.description)"); return }
        let interpreter: Interpreter
        do throws(RuntimeError) { interpreter = try Interpreter(file: file) } catch { print("FAIL: \(error.description)"); return }
        // IDX: magic (4 bytes), then one big-endian u32 per dimension.
        let dimensions = Int(images[3])
        let count = Int(labels[4]) << 24 | Int(labels[5]) << 16 | Int(labels[6]) << 8 | Int(labels[7])
        let features = interpreter.inputElements
        let scale = Float(file.metadata.double("input.scale") ?? 1)
        var errors = 0
        for s in 0..<count {
            let start = 4 + 4 * dimensions + s * features
            let x = images[start..<(start + features)].map { Float($0) * scale }
            let y: [Float]
            do throws(RuntimeError) { y = try interpreter.run(x, batch: 1) } catch { print("FAIL: \(error.description)"); return }
            var best = 0
            for j in 1..<y.count where y[j] > y[best] { best = j }
            if best != Int(labels[8 + s]) { errors += 1 }
        }
        print("bare-metal configuration: \(errors) errors of \(count)")
    }
}
