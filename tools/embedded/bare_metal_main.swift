// The runtime's entry on a microcontroller (armv7em-none-none-eabi, riscv32-none-none-eabi):
// tools/embedded-check links it with PithFormat, PithRuntime, the runtime kernels, a start
// file (bare_metal_start.c), picolibc and libgcc into one image, --gc-sections,
// and fails on any undefined symbol. It reads the model the board flashed (bare_metal.h),
// prepares it, runs one all-zero sample and reports the winning class.
import CBareMetal
import PithFormat
import PithRuntime

@main
struct BareMetalMain {
    static func main() {
        guard let start = pith_bare_model() else { pith_bare_report(1, 0); return }
        let bytes = UnsafeRawBufferPointer(start: start, count: pith_bare_model_size())
        let file: PithFile
        do throws(FormatError) { file = try PithFile(bytes: bytes) } catch { pith_bare_report(1, 0); return }
        let output: [Float]
        do throws(RuntimeError) {
            let interpreter = try Interpreter(file: file)
            output = try interpreter.run([Float](repeating: 0, count: interpreter.inputElements), batch: 1)
        } catch {
            pith_bare_report(2, 0)
            return
        }
        var best = 0
        for j in output.indices where output[j] > output[best] { best = j }
        pith_bare_report(0, Int32(best))
    }
}
