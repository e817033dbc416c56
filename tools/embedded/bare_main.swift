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
        // IDX: magic (4 bytes: 0, 0, type, rank), then one big-endian u32 per dimension;
        // values uint8 (times input.scale) or big-endian float32 (0x0D, the pipeline's
        // lossless test split). Labels: text, one class number a line.
        let dimensions = Int(images[3]), floats = images[2] == 0x0D
        var classes: [Int] = [], current = -1
        for b in labels {
            if b >= 48 && b <= 57 { current = (current < 0 ? 0 : current * 10) + Int(b - 48) } else if current >= 0 { classes.append(current); current = -1 }
        }
        if current >= 0 { classes.append(current) }
        let features = interpreter.inputElements
        let scale = Float(file.metadata.double("input.scale") ?? 1)
        var errors = 0
        for s in 0..<classes.count {
            let start = 4 + 4 * dimensions + s * features * (floats ? 4 : 1)
            var x: [Float] = []
            for i in 0..<features {
                if floats {
                    let o = start + 4 * i
                    x.append(Float(bitPattern: UInt32(images[o]) << 24 | UInt32(images[o + 1]) << 16 | UInt32(images[o + 2]) << 8 | UInt32(images[o + 3])))
                } else {
                    x.append(Float(images[start + i]) * scale)
                }
            }
            let y: [Float]
            do throws(RuntimeError) { y = try interpreter.run(x, batch: 1) } catch { print("FAIL: \(error.description)"); return }
            var best = 0
            for j in 1..<y.count where y[j] > y[best] { best = j }
            if best != classes[s] { errors += 1 }
        }
        let count = classes.count
        print("bare-metal configuration: \(errors) errors of \(count)")
    }
}
