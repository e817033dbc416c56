import Foundation
import PithFormat
import PithNN
@testable import PithPipeline
import PithQuant
import XCTest

/// `pith build --target`'s checks before it links anything, and its readers of the linked
/// image and the linker's map (the link itself, in QEMU, is tools/firmware-check's).
final class FirmwareStageTests: XCTestCase {
    var folder = ""

    override func setUp() {
        folder = NSTemporaryDirectory() + "pith-firmware-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// A small float model written compressed (`zstd: true`) or raw.
    func model(zstd: Bool) throws -> String {
        let d = try ModelDescription(parsing: "name f\ninput 1 4 4\nflatten\ndense 3\n", source: "f")
        let exported = try GraphExport.pithModel(Model(d, seed: 1), weights: .float32, metadata: Metadata())
        var options = WriteOptions()
        if !zstd { options.dataLevel = nil; options.structureLevel = nil }
        let path = folder + (zstd ? "/z.pith" : "/r.pith")
        try AtomicFile.write(try PithWriter.encode(exported, options: options).bytes, to: path)
        return path
    }

    /// A kit whose tools must never run: every refusal here comes before them.
    func kit() throws -> String {
        let kit = folder + "/kit"
        try FileManager.default.createDirectory(atPath: kit, withIntermediateDirectories: true)
        try AtomicFile.write(Array("target cortex-m4\nqemu none\nas /bin/false\nld /bin/false\nld-arg @model\n".utf8), to: kit + "/firmware.conf")
        return kit
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as PithError { return e.description } catch { return "\(error)" }
        return "no error"
    }

    func testRefusalsNameTheProblemInOneLineAndWriteNothing() throws {
        let raw = try model(zstd: false), compressed = try model(zstd: true), kit = try kit(), out = folder + "/fw.elf"
        let unknown = message { _ = try FirmwareStage.run(model: raw, output: out, target: "cortex-a53", kit: kit, flashLimit: nil, ramLimit: nil) }
        XCTAssertEqual(unknown, "option --target: 'cortex-a53' is not one of cortex-m4, cortex-m7, riscv32")
        let missing = message { _ = try FirmwareStage.run(model: raw, output: out, target: "cortex-m4", kit: folder + "/none", flashLimit: nil, ramLimit: nil) }
        XCTAssertTrue(missing.contains("no firmware kit for cortex-m4 here; build it with 'tools/build-libpith cortex-m4'"), missing)
        let other = message { _ = try FirmwareStage.run(model: raw, output: out, target: "riscv32", kit: kit, flashLimit: nil, ramLimit: nil) }
        XCTAssertTrue(other.hasSuffix("a kit for cortex-m4, not riscv32"), other)
        let zstd = message { _ = try FirmwareStage.run(model: compressed, output: out, target: "cortex-m4", kit: kit, flashLimit: nil, ramLimit: nil) }
        XCTAssertTrue(zstd.contains("is zstd-compressed and the firmware has no zstd decoder; write the model with --raw"), zstd)
        let tool = message { _ = try FirmwareStage.run(model: raw, output: out, target: "cortex-m4", kit: kit, flashLimit: nil, ramLimit: nil) }
        XCTAssertTrue(tool.hasPrefix("/bin/false failed (exit status 1)"), tool)
        for m in [unknown, missing, other, zstd, tool] { XCTAssertFalse(m.contains("\n"), m) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// `pith build --target aarch64-linux`: its runner has no zstd decoder, so a compressed
    /// model is refused; a missing runner names the command that builds it.
    func testACrossRunnerTakesRawModelsOnly() throws {
        let out = folder + "/classifier"
        let zstd = message { _ = try BuildStage.run(model: try model(zstd: true), output: out, runner: "/bin/true", target: "aarch64-linux") }
        XCTAssertTrue(zstd.contains("this runner has no zstd decoder; write the model with --raw"), zstd)
        let missing = message { _ = try BuildStage.run(model: try model(zstd: false), output: out, runner: folder + "/none", target: "aarch64-linux") }
        XCTAssertTrue(missing.contains("build it with 'tools/build-runner --target aarch64-linux'"), missing)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testABadKitIsRefusedWithItsLine() throws {
        let kit = try kit()
        try AtomicFile.write(Array("target cortex-m4\nlinker /bin/ld\n".utf8), to: kit + "/firmware.conf")
        let said = message { _ = try FirmwareStage.run(model: try model(zstd: false), output: folder + "/fw.elf", target: "cortex-m4", kit: kit, flashLimit: nil, ramLimit: nil) }
        XCTAssertTrue(said.hasSuffix("firmware.conf: line 2: unknown setting 'linker'"), said)
    }

    /// A 32-bit ELF's allocated sections: flash for those with contents, RAM for the
    /// writable ones, a TLS bss in neither; truncated or foreign bytes get one line.
    func testTheImageReaderCountsFlashAndRAMAndRefusesBadBytes() throws {
        func section(_ name: Int, type: UInt32, flags: UInt32, size: UInt32) -> [UInt8] {
            var h = [UInt8](repeating: 0, count: 40)
            for (i, v) in [UInt32(name), type, flags, 0, 0, size].enumerated() {
                for b in 0..<4 { h[4 * i + b] = UInt8(truncatingIfNeeded: v >> (8 * b)) }
            }
            return h
        }
        let names = Array("\0.text\0.data\0.bss\0.tbss\0.shstrtab\0".utf8)
        var elf = [UInt8](repeating: 0, count: 52)
        elf.replaceSubrange(0..<6, with: [0x7F, 0x45, 0x4C, 0x46, 1, 1])
        let namesAt = 52, headersAt = 52 + names.count
        elf += names
        // Section names are offsets into the names: .text 1, .data 7, .bss 13, .tbss 18, .shstrtab 24.
        let table = section(0, type: 0, flags: 0, size: 0) + section(1, type: 1, flags: 6, size: 1000) + section(7, type: 1, flags: 3, size: 100)
            + section(13, type: 8, flags: 3, size: 500) + section(18, type: 8, flags: 0x403, size: 64)
            + section(24, type: 3, flags: 0, size: UInt32(names.count))
        var withOffset = table
        // The names section's offset (field 4 of the last header).
        let last = withOffset.count - 40
        for b in 0..<4 { withOffset[last + 16 + b] = UInt8(truncatingIfNeeded: UInt32(namesAt) >> (8 * b)) }
        elf += withOffset
        for (at, v, w) in [(0x20, headersAt, 4), (0x2E, 40, 2), (0x30, 6, 2), (0x32, 5, 2)] {
            for b in 0..<w { elf[at + b] = UInt8(truncatingIfNeeded: v >> (8 * b)) }
        }
        let image = try FirmwareImage(elf, path: "fw.elf")
        XCTAssertEqual(image.sections.map(\.name), [".text", ".data", ".bss", ".tbss"])
        XCTAssertEqual(image.flashBytes, 1100)
        XCTAssertEqual(image.ramBytes, 600)
        for bad in [Array(elf.prefix(60)), [UInt8](repeating: 0, count: 64), Array(elf.prefix(headersAt + 100))] {
            let said = message { _ = try FirmwareImage(bad, path: "fw.elf") }
            XCTAssertTrue(said.hasPrefix("fw.elf: the linked firmware image: "), said)
        }
    }

    func testTheMapIsSummedByInputOverFlashSections() {
        let map = """
            .text           0x00000040    0x3b988
             .text.main     0x00000040       0x20 /kit/main.o
             .text.pith_q8_kernel_dsp
                            0x00000060      0x100 /kit/libpith.a(q8_gemm_dsp.o)
             *fill*         0x00000160        0x4
             .rodata.pith_firmware_model
                            0x00000180     0x1000 model.o
            .bss            0x20000000      0x500
             .bss.arena     0x20000000      0x500 model.o
            """
        let totals = LinkerMap.flashByInput(map, flash: [".text"]) { $0.contains("libpith") ? "runtime" : $0.hasSuffix("model.o") ? "model" : "main" }
        XCTAssertEqual(totals, ["main": 0x20, "runtime": 0x100, "model": 0x1000])
    }
}
