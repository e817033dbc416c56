import ArgumentParser
import Foundation
import PithPipeline

/// `pith build model.pith -o classifier`: a standalone executable — the runner
/// (`pith-run`) with the model appended and a trailer that points at it (see
/// Sources/pith-run/EmbeddedModel.swift). It needs no other file at run time.
/// `pith build model.pith --target cortex-m4 -o firmware.elf`: bare-metal firmware with the
/// model in flash (FirmwareStage), and its flash and RAM budget.
struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a standalone executable, or microcontroller firmware, with the model inside.",
        discussion: """
            The executable is the runner with the .pith file appended: 'classifier INPUT [--labels FILE] [--json] [--bench]'. tools/build-runner builds the default runner: pith-run as Embedded Swift, under 1 MB, needing only the C library.
            With --target (\(FirmwareStage.targets.joined(separator: ", "))) it links firmware for that microcontroller from the kit tools/build-libpith makes, prints its flash and RAM, and refuses a model that does not fit --flash or --ram. The firmware reads an IDX file over semihosting and prints each sample's class, as pith-run does.
            """)

    @Argument(help: "The .pith model to embed.")
    var model: String

    @Option(name: .shortAndLong, help: "The executable or firmware image to write.")
    var output: String

    @Option(help: "The runner to embed the model in (default: the Embedded Swift runner of tools/build-runner if built, else pith-run beside this program).")
    var runner: String?

    @Option(help: "Make firmware for this microcontroller (\(FirmwareStage.targets.joined(separator: ", "))), or an executable for \(BuildStage.crossTargets.joined(separator: ", ")) (its runner: tools/build-runner --target).")
    var target: String?

    @Option(help: "The firmware kit folder (default: tools/build-libpith's, .build-embedded/libpith/TARGET/firmware).")
    var kit: String?

    @Option(help: "The part's flash, in bytes (K and M suffixes: KiB, MiB); a firmware that needs more is refused.")
    var flash: String?

    @Option(help: "The part's RAM, in bytes (K and M suffixes: KiB, MiB); a firmware that needs more is refused.")
    var ram: String?

    /// A thin adapter over `BuildStage.run` and `FirmwareStage.run`.
    func run() throws {
        guard let target else {
            for (name, value) in [("--kit", kit), ("--flash", flash), ("--ram", ram)] where value != nil {
                throw ValidationError("\(name) needs --target")
            }
            let b = try BuildStage.run(model: model, output: output, runner: runner)
            print("wrote \(output): \(b.bytes) bytes (runner \(b.runner): \(b.runnerBytes) bytes, model \(b.modelBytes) bytes)")
            return
        }
        if BuildStage.crossTargets.contains(target) {
            // An executable for another machine: its runner from tools/build-runner --target.
            for (name, value) in [("--kit", kit), ("--flash", flash), ("--ram", ram)] where value != nil {
                throw ValidationError("\(name) is for firmware, not --target \(target)")
            }
            let b = try BuildStage.run(model: model, output: output, runner: runner ?? BuildStage.crossRunner(target), target: target)
            print("wrote \(output): \(b.bytes) bytes for \(target) (runner \(b.runner): \(b.runnerBytes) bytes, model \(b.modelBytes) bytes)")
            return
        }
        guard runner == nil else { throw ValidationError("--runner is for executables, not --target firmware") }
        let f = try FirmwareStage.run(model: model, output: output, target: target, kit: kit,
                                      flashLimit: try flash.map { try Self.bytes($0, "--flash") }, ramLimit: try ram.map { try Self.bytes($0, "--ram") })
        print("wrote \(output): firmware for \(f.target) (run it: \(f.qemu) -nographic -semihosting-config enable=on,target=native,arg=INPUT.idx -kernel \(output))")
        print("flash \(f.flashBytes) bytes: \(FirmwareStage.describe(f.flash))")
        print("RAM \(f.ramBytes) bytes: \(FirmwareStage.describe(f.ram))")
    }

    /// "256K" → 262144, "1M" → 1048576, "65536" → 65536.
    static func bytes(_ text: String, _ name: String) throws -> Int {
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20]
        let unit = text.last.flatMap { units[Character($0.uppercased())] }
        let digits = unit == nil ? Substring(text) : text.dropLast()
        guard let n = Int(digits), n > 0, n <= 1 << 32 / (unit ?? 1) else {
            throw ValidationError("\(name) must be a positive byte count (K and M suffixes: KiB, MiB), not '\(text)'")
        }
        return n * (unit ?? 1)
    }
}
