import Foundation
import PithFormat
import PithNN
import PithRuntime

/// `pith build model.pith --target cortex-m4`: bare-metal firmware with the model in flash.
/// The kit tools/build-libpith makes per target (.build-embedded/libpith/TARGET/firmware:
/// main.o, the board's linker script, firmware.conf) is linked with libpith.a, picolibc with
/// semihosting and the model (the kit's model_blob.S: the .pith file in flash, the arena in
/// bss) by the target's GCC and GNU linker, dead code dropped
/// (--gc-sections). The model is the .pith file itself (raw sections: the firmware has no
/// zstd), read in place from flash; its activations go to a static arena sized here
/// (`Interpreter.requiredArenaBytes`, batch 1). The budget comes from the linked image and
/// the linker's map, and a model that does not fit `--flash`/`--ram` is refused.
public enum FirmwareStage {
    /// The targets tools/build-libpith makes kits for.
    public static let targets = ["cortex-m4", "cortex-m7", "riscv32"]

    public struct Outcome {
        public var target: String
        /// How QEMU runs the image (the kit's `qemu` line).
        public var qemu: String
        /// Flash by part: runtime code (libpith.a's Embedded Swift: the reader, the executor,
        /// the C API), kernels (libpith.a's C kernels), C library, compiler runtime, firmware
        /// main, model, alignment and tables; and the total.
        public var flash: [(part: String, bytes: Int)]
        public var flashBytes: Int
        /// RAM by part: the arena's values and scratch, heap (prepared weights and the model's
        /// tables), stack, static data; and the total.
        public var ram: [(part: String, bytes: Int)]
        public var ramBytes: Int
    }

    /// What firmware.conf says: the assembler and the linker with their arguments (`@model`
    /// in the linker's marks where the model's object goes).
    struct Kit {
        var target = "", qemu = "", assembler = "", linker = ""
        var assemblerArguments: [String] = [], linkerArguments: [String] = []

        init(path: String) throws(PithError) {
            let bytes = try FileBytes.read(path, limit: 1 << 20)
            for (n, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n").enumerated() where !line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2 else { throw .badFile(path: path, problem: "line \(n + 1): expected 'setting value'") }
                let value = String(parts[1])
                switch parts[0] {
                case "target": target = value
                case "qemu": qemu = value
                case "as": assembler = value
                case "as-arg": assemblerArguments.append(value)
                case "ld": linker = value
                case "ld-arg": linkerArguments.append(value)
                default: throw .badFile(path: path, problem: "line \(n + 1): unknown setting '\(parts[0])'")
                }
            }
            guard !assembler.isEmpty, !linker.isEmpty, linkerArguments.contains("@model") else {
                throw .badFile(path: path, problem: "names no assembler, no linker or no @model argument")
            }
        }
    }

    /// The kit for `target`: `kit` if given, else tools/build-libpith's beside this program's package.
    public static func kitFolder(target: String, kit: String?) -> String {
        kit ?? "\(BuildStage.packageRoot())/.build-embedded/libpith/\(target)/firmware"
    }

    public static func run(model: String, output: String, target: String, kit: String?, flashLimit: Int?, ramLimit: Int?) throws -> Outcome {
        guard targets.contains(target) else {
            throw PithError.badOption(name: "--target", problem: "'\(target)' is not one of \(targets.joined(separator: ", "))")
        }
        // Absolute: the tools run in a folder of their own.
        let folder = URL(fileURLWithPath: kitFolder(target: target, kit: kit)).standardizedFileURL.path
        let conf = "\(folder)/firmware.conf"
        guard FileManager.default.fileExists(atPath: conf) else {
            throw PithError.badFile(path: conf, problem: "no firmware kit for \(target) here; build it with 'tools/build-libpith \(target)' or pass --kit")
        }
        let settings = try Kit(path: conf)
        guard settings.target == target else { throw PithError.badFile(path: conf, problem: "a kit for \(settings.target), not \(target)") }
        try OutputPath.refuseSameFile("build", outputs: [.init("-o", output)], inputs: [.init("the model", model)])
        let file = try FormatFiles.open(model)
        try FormatFiles.requireRaw(file, path: model, reader: "the firmware")
        let heap: Int, arenaParts: (values: Int, scratch: Int)
        do {
            arenaParts = try Interpreter.arenaParts(for: file, maxBatch: 1)
            heap = Self.heapBytes(try Interpreter(file: file), file: file)
        } catch { throw PithError.badFile(path: model, problem: "the runtime cannot run it: \(error.description)") }
        let arena = arenaParts.values + arenaParts.scratch  // Interpreter.requiredArenaBytes
        try checkWritable(output)
        let (elf, image, map) = try link(model: model, arena: arena, kit: settings, folder: folder)
        let flashSections = Set(image.sections.filter(\.inFlash).map(\.name))
        let byInput = LinkerMap.flashByInput(map, flash: flashSections) { input in
            // libpith.a's members: the Embedded Swift runtime (and the Unicode tables folded
            // in with it), or a C kernel file.
            if input.contains("libpith.a(") {
                let swift = ["(PithC.o)", "(PithFormat.o)", "(PithRuntime.o)", "(api.o)", "(bare_metal_support.o)", "(stdlib_support.o)"]
                return swift.contains { input.hasSuffix($0) } || input.contains("(Unicode") ? "runtime code" : "kernels"
            }
            if input.hasSuffix("model.o") { return "model" }
            if input.hasSuffix("main.o") || input.hasSuffix("classify.o") { return "firmware main" }
            if input.contains("libgcc") { return "compiler runtime" }
            return "C library"
        }
        let parts = ["runtime code", "kernels", "C library", "compiler runtime", "firmware main", "model"]
        var flash = parts.map { ($0, byInput[$0] ?? 0) }
        let accounted = flash.reduce(0) { $0 + $1.1 }
        flash.append(("alignment and tables", max(0, image.flashBytes - accounted)))
        let stack = image.size(of: ".stack")
        // The arena is values and scratch (what requiredArenaBytes sums).
        let ram = [("arena: values", arenaParts.values), ("scratch", arenaParts.scratch), ("heap (prepared weights, the model's tables)", heap),
                   ("stack", stack), ("static data", image.ramBytes - stack - arena)]
        let outcome = Outcome(target: target, qemu: settings.qemu, flash: flash, flashBytes: image.flashBytes,
                              ram: ram, ramBytes: image.ramBytes + heap)
        if let flashLimit, outcome.flashBytes > flashLimit {
            throw PithError.badFile(path: model, problem: "does not fit --flash \(flashLimit): the \(target) firmware needs \(outcome.flashBytes) bytes of flash (\(describe(flash)))")
        }
        if let ramLimit, outcome.ramBytes > ramLimit {
            throw PithError.badFile(path: model, problem: "does not fit --ram \(ramLimit): the \(target) firmware needs \(outcome.ramBytes) bytes of RAM (\(describe(ram)))")
        }
        try AtomicFile.write(elf, to: output)
        return outcome
    }

    /// The model's object (the kit's model_blob.S with the model and the arena's size)
    /// assembled and linked with the kit's objects in a folder of its own: the image's bytes,
    /// its sections and the linker's map.
    static func link(model: String, arena: Int, kit settings: Kit, folder: String) throws -> (elf: [UInt8], image: FirmwareImage, map: String) {
        let work = NSTemporaryDirectory() + "pith-firmware-" + UUID().uuidString
        do { try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true) } catch {
            throw PithError.cannotWrite(path: work, problem: "cannot create the folder to link the firmware in")
        }
        defer { try? FileManager.default.removeItem(atPath: work) }
        try AtomicFile.write(try FileBytes.read(model, limit: FileBytes.Limit.pithFile), to: "\(work)/model.pith")
        try execute(settings.assembler, settings.assemblerArguments + ["-DPITH_MODEL_FILE=\"model.pith\"", "-DPITH_ARENA_BYTES=\(arena)",
                                                                      "\(folder)/model_blob.S", "-o", "model.o"], in: work)
        let linkArguments = settings.linkerArguments.map { $0 == "@model" ? "model.o" : $0 } + ["-Map", "firmware.map", "-o", "firmware.elf"]
        try execute(settings.linker, linkArguments, in: work)
        let elf = try FileBytes.read("\(work)/firmware.elf", limit: FileBytes.Limit.executable)
        let image = try FirmwareImage(elf, path: "\(work)/firmware.elf")
        let map = String(decoding: try FileBytes.read("\(work)/firmware.map", limit: 64 << 20), as: UTF8.self)
        return (elf, image, map)
    }

    /// "runtime code 40000, model 12000, …": the parts with bytes.
    public static func describe(_ parts: [(part: String, bytes: Int)]) -> String {
        parts.filter { $0.bytes > 0 }.map { "\($0.part) \($0.bytes)" }.joined(separator: ", ")
    }

    /// The heap the firmware needs after loading: the prepared weights (measured on this
    /// machine; the portable packing a microcontroller uses is no larger) with 80 bytes a
    /// block (64-byte alignment and the allocator's header), and the model's decoded tables
    /// (graph, tensors, metadata, the prepared steps), bounded by four times their encoded
    /// bytes, plus 8 KiB (the firmware's own sample buffers and stdio). The firmware prints
    /// what it used, and tools/firmware-check holds it to this.
    static func heapBytes(_ interpreter: Interpreter, file: PithFile) -> Int {
        let tables = file.sections.filter { $0.kind != .tensorData }.reduce(0) { $0 + Int($1.size) }
        return interpreter.preparedWeightBytes + 80 * interpreter.preparedWeightBlocks + 4 * tables + 8192
    }

    /// Runs `tool` with `arguments` in `folder`; its first line of error output on failure.
    static func execute(_ tool: String, _ arguments: [String], in folder: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.currentDirectoryURL = URL(fileURLWithPath: folder)
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch { throw PithError.badFile(path: tool, problem: "cannot be run") }
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationReason == .exit && p.terminationStatus == 0 else {
            let said = String(decoding: e, as: UTF8.self).split(separator: "\n").first.map { ": \($0)" } ?? ""
            throw PithError.mismatch("\(tool) failed (exit status \(p.terminationStatus))\(said)")
        }
    }
}
