// The runtime's part of the `.pith` fuzz targets (built with FuzzPithReader.swift or
// FuzzPithStructured.swift by tools/fuzz): every file the reader accepts is handed to the
// interpreter, which must refuse it with a typed error or run it. A model it runs must
// give each sample the same bytes whether the sample runs alone, beside a copy of itself
// in a batch, or in a batch split over two threads (the arena plan, the batch loops and
// the thread split may not change an answer). Only models of modest size are run, so that
// one input cannot take seconds; loading is always tried.

import PithFormat

func fuzzRuntime(_ file: PithFile) {
    guard let one = try? Interpreter(file: file, maxBatch: 1) else { return }
    guard one.multiplyAdds < 300_000, one.arenaSize < 1 << 20 else { return }
    // Four threads for a batch of four: one sample per thread's arena.
    let threads = 2 + Int(one.outputElements % 3)
    guard let split = try? Interpreter(file: file, maxBatch: 4, threads: threads) else {
        fatalError("the runtime loads a model at batch 1 but refuses it at batch 4 on \(threads) threads")
    }
    let inBytes = one.inputElements * one.inputType.size, outBytes = one.outputElements * one.outputType.size
    // Four samples: zeros, then three different pseudo-random ones (finite floats or codes).
    var input = [UInt8](repeating: 0, count: 4 * inBytes)
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    let floats = one.inputType == .float32, elements = one.inputElements
    input.withUnsafeMutableBytes { b in
        for s in 1 ..< 4 {
            for i in 0 ..< elements {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                if floats {
                    b.storeBytes(of: (Float(Int(state >> 48) - 32768) / 4096).bitPattern.littleEndian, toByteOffset: s * inBytes + 4 * i, as: UInt32.self)
                } else {
                    b[s * inBytes + i] = UInt8(truncatingIfNeeded: state >> 32)
                }
            }
        }
    }
    var alone = [UInt8](repeating: 0, count: 4 * outBytes), together = alone
    for s in 0 ..< 4 {
        let ok = input.withUnsafeBytes { i in
            alone.withUnsafeMutableBytes { o in (try? one.run(input: i.baseAddress! + s * inBytes, output: o.baseAddress! + s * outBytes, batch: 1)) != nil }
        }
        if !ok { return }  // a typed refusal at run time (e.g. a NaN made from the input)
    }
    let ok = input.withUnsafeBytes { i in
        together.withUnsafeMutableBytes { o in (try? split.run(input: i.baseAddress!, output: o.baseAddress!, batch: 4)) != nil }
    }
    precondition(ok, "a batch of four fails where each of its samples ran alone")
    precondition(alone == together, "a sample's output depends on its batch or thread")
}
