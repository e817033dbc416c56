/// A batch split over interpreters: part i runs samples [start(i), start(i + 1)).
final class ParallelJob {
    let workers: [Interpreter]
    let input: UnsafeRawPointer
    let output: UnsafeMutableRawPointer
    let batch: Int, parts: Int, inBytes: Int, outBytes: Int
    /// One slot per part, each written by its own thread only.
    let errors: UnsafeMutablePointer<RuntimeError?>

    init(workers: [Interpreter], input: UnsafeRawPointer, output: UnsafeMutableRawPointer, batch: Int, parts: Int, inBytes: Int, outBytes: Int) {
        self.workers = workers
        self.input = input
        self.output = output
        self.batch = batch
        self.parts = parts
        self.inBytes = inBytes
        self.outBytes = outBytes
        errors = UnsafeMutablePointer<RuntimeError?>.allocate(capacity: parts)
        errors.initialize(repeating: nil, count: parts)
    }

    deinit {
        errors.deinitialize(count: parts)
        errors.deallocate()
    }

    func start(_ i: Int) -> Int { batch * i / parts }

    func run(_ i: Int) {
        let s = start(i), n = start(i + 1) - s
        do throws(RuntimeError) {
            try workers[i].runChunk(input: input + s * inBytes, output: output + s * outBytes, batch: n, firstSample: s)
        } catch {
            errors[i] = error
        }
    }
}
