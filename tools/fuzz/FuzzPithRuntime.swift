// The runtime's part of the fuzz target (built with FuzzPithReader.swift by
// tools/fuzz-format): every file the reader accepts is handed to the interpreter, which
// must refuse it with a typed error or run it. Only models of modest size are run, so
// that one input cannot take seconds; loading is always tried.

import PithFormat

func fuzzRuntime(_ file: PithFile) {
    guard let interpreter = try? Interpreter(file: file, maxBatch: 2) else { return }
    guard interpreter.multiplyAdds < 20_000_000, interpreter.arenaSize < 64 << 20 else { return }
    let inBytes = interpreter.inputElements * interpreter.inputType.size * 2
    let outBytes = interpreter.outputElements * interpreter.outputType.size * 2
    let input = UnsafeMutableRawPointer.allocate(byteCount: max(inBytes, 1), alignment: 64)
    let output = UnsafeMutableRawPointer.allocate(byteCount: max(outBytes, 1), alignment: 64)
    defer { input.deallocate(); output.deallocate() }
    input.initializeMemory(as: UInt8.self, repeating: 0, count: max(inBytes, 1))
    _ = try? interpreter.run(input: input, output: output, batch: 2)
}
