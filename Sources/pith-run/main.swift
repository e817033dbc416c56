// pith-run: run a .pith model on a file of inputs. Depends on PithRuntime alone.
//
//   pith-run MODEL.pith INPUT [--labels FILE] [--json] [--bench] [--batch N] [--runs N] [--batch-runs N] [--threads N] [--profile] [--raw f32|u8]
//
// A standalone classifier made by `pith build` is this program with the model appended:
// it takes INPUT alone (see EmbeddedModel).
//
// INPUT is an IDX, .npy, CSV or raw file, or - for stdin. Prints each sample's predicted
// class and probabilities (or JSON); --bench prints batch-1 latency percentiles and
// batch-N throughput (spread over --threads) instead.
import CPosix
import PithFormat
import PithIO
import PithRuntime

struct Options {
    var model = ""
    var input = ""
    var json = false
    var bench = false
    var profile = false
    var batch = 256
    var runs = 1000
    var batchRuns = 10
    /// --raw: nil (read the format the file shows), true (bytes), false (float32).
    var rawBytes: Bool?
    var threads = 1
    var labels: String?
}

func fail(_ message: String) -> Never {
    var line = "pith-run: " + message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(1)
}

/// What --help prints.
func usage(embedded: Bool) -> String {
    let me = embedded ? "this-program" : "pith-run MODEL.pith"
    return """
        usage: \(me) INPUT [options]
        Runs \(embedded ? "the model this program carries" : "a .pith model") on every sample of INPUT and prints each one's class and probabilities.

        INPUT                IDX (uint8 or float32), .npy, CSV (one sample a row; a header row is skipped) or raw
                             float32 values, or - for standard input. uint8 values are multiplied by the model's
                             input.scale; floats are given to the model as they are.
          --labels FILE      the true classes (IDX, .npy or text, one a line): also print the accuracy
          --json             one JSON array: per sample its class name, index and probabilities
          --raw u8|f32       read INPUT as raw bytes or raw float32, whatever it looks like
          --bench            batch-1 latency percentiles over --runs runs, and batch --batch throughput
          --runs N           benchmark runs (default 1000)
          --batch N          samples per batch for --bench and --profile (default 256)
          --batch-runs N     batch runs for --bench (default 10)
          --threads N        threads for a batch (default 1)
          --profile          each step's best time on one batch
          --version          the version
          -h, --help         this text
        """
}

func parse(_ args: [String], embedded: Bool) -> Options {
    var o = Options()
    var positional: [String] = []
    var i = 1
    func value(_ name: String) -> String {
        i += 1
        guard i < args.count else { fail("\(name) needs a value") }
        return args[i]
    }
    while i < args.count {
        switch args[i] {
        case "--json": o.json = true
        case "--bench": o.bench = true
        case "--profile": o.profile = true
        case "--batch":
            guard let n = Int(value("--batch")), n >= 1, n <= 65536 else { fail("--batch must be 1...65536") }
            o.batch = n
        case "--runs":
            guard let n = Int(value("--runs")), n >= 1, n <= 10_000_000 else { fail("--runs must be 1...10000000") }
            o.runs = n
        case "--batch-runs":
            guard let n = Int(value("--batch-runs")), n >= 1, n <= 1_000_000 else { fail("--batch-runs must be 1...1000000") }
            o.batchRuns = n
        case "--threads":
            guard let n = Int(value("--threads")), n >= 1, n <= 64 else { fail("--threads must be 1...64") }
            o.threads = n
        case "--labels": o.labels = value("--labels")
        case "--raw":
            let v = value("--raw")
            guard v == "u8" || v == "f32" else { fail("--raw must be u8 or f32") }
            o.rawBytes = v == "u8"
        case "-h", "--help":
            print(usage(embedded: embedded))
            exit(0)
        case "--version":
            print("pith-run \(PithVersion.string) (.pith format version \(PithFormatVersion.current))")
            exit(0)
        default:
            if args[i].hasPrefix("--") { fail("unknown option \(args[i])") }
            positional.append(args[i])
        }
        i += 1
    }
    if embedded {
        guard positional.count == 1 else { fail("expected INPUT (this program carries its model; see --help)") }
        o.input = positional[0]
    } else {
        guard positional.count == 2 else { fail("expected MODEL.pith and INPUT (see --help)") }
        o.model = positional[0]
        o.input = positional[1]
    }
    return o
}

/// The program's arguments: CommandLine's, or /proc/self/cmdline's in Embedded Swift (which
/// has no CommandLine).
func commandLineArguments() -> [String] {
    #if hasFeature(Embedded)
    let fd = pith_open_read("/proc/self/cmdline")
    guard fd >= 0 else { fail("cannot read /proc/self/cmdline") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4096) }
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return bytes.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    #else
    return CommandLine.arguments
    #endif
}

/// x with `digits` decimals, without Foundation; magnitudes of 10¹² and more as
/// d.dddde±NN (a float's integer part would not fit the digits).
func fixed(_ x: Float, _ digits: Int = 4) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    if abs(x) >= 1e12 {
        var m = Double(abs(x)), e = 0
        while m >= 10 { m /= 10; e += 1 }
        return (x < 0 ? "-" : "") + fixed(Float(m), digits) + "e+" + String(e)
    }
    var scale: Float = 1
    for _ in 0..<digits { scale *= 10 }
    let n = Int64((Double(abs(x)) * Double(scale)).rounded())
    let whole = n / Int64(scale), frac = n % Int64(scale)
    var f = String(frac)
    while f.count < digits { f = "0" + f }
    return (x < 0 && n != 0 ? "-" : "") + String(whole) + "." + f
}


/// Ends the program with one line when anything written to stdout was lost (a full
/// disk, a closed pipe): results that did not arrive are a failure, not exit 0.
func finishOutput() -> Never {
    if pith_stdout_failed() != 0 { fail("cannot write the output: \(String(cString: strerror(pith_errno())))") }
    exit(0)
}

let embeddedModel = EmbeddedModel.read()
let options = parse(commandLineArguments(), embedded: embeddedModel != nil)
let interpreter: Interpreter
let maxBatch = options.bench || options.profile ? options.batch : 1
if let embeddedModel {
    let file: PithFile
    do throws(FormatError) { file = try PithFile(bytes: embeddedModel) } catch { fail("the embedded model: \(error.description)") }
    do throws(RuntimeError) { interpreter = try Interpreter(file: file, maxBatch: maxBatch, threads: options.threads) } catch { fail("the embedded model: \(error.description)") }
} else {
    do throws(RuntimeError) { interpreter = try Interpreter(path: options.model, maxBatch: maxBatch, threads: options.threads) } catch {
        fail("\(options.model): \(error.description)")
    }
}
let features = interpreter.inputElements
let bytes: [UInt8]
let samples: Samples
do throws(IOFailure) {
    bytes = try InputReader.readAll(options.input)
    samples = try InputReader.samples(bytes, name: options.input == "-" ? "stdin" : options.input, features: features, raw: options.rawBytes)
} catch { fail(error.description) }

// Model inputs: 8-bit codes times the file's input.scale; a uint8 graph input gets them
// quantized with its own scale and zero point.
let pixelScale = Float(interpreter.file.metadata.double("input.scale") ?? 1)
guard pixelScale.isFinite, pixelScale > 0 else { fail("the model's metadata 'input.scale' is \(fixed(pixelScale)), not a finite positive number") }
/// Sample s as model inputs: 8-bit codes times input.scale, floats as they are.
func modelInput(_ s: Int) -> ArraySlice<Float> {
    let values = samples.values[(s * features)..<((s + 1) * features)]
    return samples.areBytes ? ArraySlice(values.map { $0 * pixelScale }) : values
}
let labels = interpreter.file.metadata.strings("model.labels")
/// Whether the graph's output is a Softmax's (then it is printed as it is, not softmaxed again).
let endsInSoftmax = interpreter.file.graph.nodes.contains { $0.op == .softmax && $0.outputs == interpreter.file.graph.outputs }

let inputCodec = interpreter.inputQuantization, outputCodec = interpreter.outputQuantization
/// One sample's model inputs as the input's bytes (IOQuantization); a NaN or infinity ends the program.
func encodeInput(_ values: ArraySlice<Float>) -> [UInt8] {
    do throws(RuntimeError) { return try inputCodec.encode(values, valuesPerSample: features) } catch { fail(error.description) }
}

let outputBytes = interpreter.outputElements * interpreter.outputType.size

/// One call of the interpreter on encoded input bytes; errors end the program.
func infer(_ x: [UInt8], _ out: inout [UInt8], batch: Int, context: String, _ interpreter: Interpreter) {
    var failure: RuntimeError? = nil
    x.withUnsafeBytes { i in
        out.withUnsafeMutableBytes { o in
            do throws(RuntimeError) { try interpreter.run(input: i.baseAddress!, output: o.baseAddress!, batch: batch) } catch { failure = error }
        }
    }
    if let failure { fail(context + failure.description) }
}

if options.profile {
    // Each step's best time over --runs runs of one batch of --batch samples, on one thread.
    let count = min(samples.count, options.batch)
    var encoded: [UInt8] = []
    for s in 0..<options.batch { encoded += encodeInput(modelInput(s % count)) }
    var rows: [(node: String, op: String, time: Int64)] = []
    var failure: RuntimeError? = nil
    encoded.withUnsafeBytes { i in
        do throws(RuntimeError) {
            rows = try interpreter.profile(input: i.baseAddress!, batch: options.batch, runs: options.runs, clock: { pith_now_ns() })
        } catch { failure = error }
    }
    if let failure { fail(failure.description) }
    let total = rows.reduce(Int64(0)) { $0 + $1.time }
    print("step times, batch \(options.batch), best of \(options.runs) runs (µs):")
    for r in rows {
        let share = total > 0 ? Float(r.time) * 100 / Float(total) : 0
        print("  \(r.node) (\(r.op)): \(fixed(Float(r.time) / 1000, 2)) µs, \(fixed(share, 1))%")
    }
    print("  total: \(fixed(Float(total) / 1000, 2)) µs")
    finishOutput()
}

if options.bench {
    // Batch 1: each run one sample, cycling through the file; then batch N. The input
    // bytes are laid out once and the timed region is the interpreter's run alone.
    var one = [UInt8](repeating: 0, count: outputBytes)
    var times: [Int64] = []
    times.reserveCapacity(options.runs)
    let count = min(samples.count, 256)
    var encoded: [UInt8] = []
    for s in 0..<count { encoded += encodeInput(modelInput(s)) }
    let inputBytes = encoded.count / count
    var failure: RuntimeError? = nil
    encoded.withUnsafeBytes { i in
        one.withUnsafeMutableBytes { o in
            for r in 0..<(options.runs + options.runs / 10) {
                let start = pith_now_ns()
                do throws(RuntimeError) { try interpreter.run(input: i.baseAddress! + (r % count) * inputBytes, output: o.baseAddress!, batch: 1) } catch {
                    failure = error
                    return
                }
                if r >= options.runs / 10 { times.append(pith_now_ns() - start) }  // the first tenth warms up
            }
        }
    }
    if let failure { fail(failure.description) }
    times.sort()
    func percentile(_ p: Int) -> String { fixed(Float(times[min(times.count - 1, times.count * p / 100)]) / 1000, 1) }
    var batchInput: [UInt8] = []
    for s in 0..<options.batch { batchInput += encoded[((s % count) * inputBytes)..<((s % count + 1) * inputBytes)] }
    var batchOut = [UInt8](repeating: 0, count: outputBytes * options.batch)
    var batchTimes: [Int64] = []
    for r in 0..<(options.batchRuns + 2) {
        let start = pith_now_ns()
        infer(batchInput, &batchOut, batch: options.batch, context: "", interpreter)
        if r >= 2 { batchTimes.append(pith_now_ns() - start) }  // two warm-up runs
    }
    batchTimes.sort()
    let medianBatch = batchTimes[batchTimes.count / 2]
    let throughput = Float(options.batch) * 1e9 / Float(medianBatch)
    if options.json {
        print("{\"runs\":\(times.count),\"latency_us\":{\"p50\":\(percentile(50)),\"p90\":\(percentile(90)),\"p99\":\(percentile(99))},\"batch\":\(options.batch),\"images_per_second\":\(fixed(throughput, 1))}")
    } else {
        print("batch 1 latency over \(times.count) runs: p50 \(percentile(50)) µs, p90 \(percentile(90)) µs, p99 \(percentile(99)) µs")
        print("batch \(options.batch): \(fixed(throughput, 1)) images/s (median of \(batchTimes.count) runs, \(fixed(Float(medianBatch) / 1e6, 3)) ms each)")
    }
    finishOutput()
}

var trueClasses: [Int]? = nil
if let path = options.labels {
    do throws(IOFailure) { trueClasses = try InputReader.labels(try InputReader.readAll(path), name: path, count: samples.count) } catch { fail(error.description) }
}
var correct = 0
var out = [UInt8](repeating: 0, count: outputBytes)
var jsonItems: [String] = []
for s in 0..<samples.count {
    let x = encodeInput(modelInput(s))
    infer(x, &out, batch: 1, context: "sample \(s): ", interpreter)
    var p = outputCodec.decode(out, count: interpreter.outputElements)
    if !endsInSoftmax { Interpreter.softmax(&p) }
    let best = p.indices.max { p[$0] < p[$1] } ?? 0
    if let trueClasses, trueClasses[s] == best { correct += 1 }
    let label = labels.map { best < $0.count ? $0[best] : String(best) } ?? String(best)
    if options.json {
        jsonItems.append("{\"sample\":\(s),\"class\":\(JSONText.string(label)),\"index\":\(best),\"probabilities\":[" + p.map { fixed($0, 6) }.joined(separator: ",") + "]}")
    } else {
        print("sample \(s): class \(label) (p \(fixed(p[best]))), probabilities " + p.map { fixed($0) }.joined(separator: " "))
    }
}
if options.json { print("[" + jsonItems.joined(separator: ",\n") + "]") }
if trueClasses != nil {
    let n = samples.count
    print("accuracy \(fixed(Float(correct) * 100 / Float(max(n, 1)), 2))% (\(n - correct) errors of \(n))")
}
finishOutput()
