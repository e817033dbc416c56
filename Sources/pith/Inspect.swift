import PithIO
import ArgumentParser
import PithPipeline
import PithFormat
import PithNN
import PithRuntime

/// `pith inspect FILE`: header, sections, metadata, graph and tensors of a `.pith` file.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what a .pith file holds (checks it first).")

    @Argument(help: "The .pith file.")
    var file: String

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        let opened = try FormatFiles.open(file)
        print(json ? Report.json(opened, path: file) : Report.text(opened, path: file))
    }
}

/// `pith verify FILE`: every check the reader makes, then every check the runtime makes
/// when it loads the file (ops, shapes, dtypes, quantization, the memory limits), so a file
/// verify passes is one `pith-run` runs; exit 0 or one line saying what is wrong.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check a .pith file: structure, limits, graph and every checksum.")

    @Argument(help: "The .pith file.")
    var file: String

    @Flag(help: "Print one JSON object instead of a line.")
    var json = false

    func run() throws {
        let opened = try FormatFiles.open(file)
        do { _ = try Interpreter(file: opened) } catch {
            throw PithError.badFile(path: file, problem: "the runtime refuses it: \(error.description)")
        }
        let constants = opened.tensors.filter { $0.role == .constant }.count
        if json {
            print("{\"file\":\(JSONText.string(file)),\"ok\":true,\"version\":\(opened.header.version),\"bytes\":\(opened.header.fileSize),"
                  + "\"sections\":\(opened.sections.count),\"tensors\":\(opened.tensors.count),\"constants\":\(constants),\"nodes\":\(opened.graph.nodes.count)}")
            return
        }
        print("\(file): OK (.pith version \(opened.header.version), \(opened.header.fileSize) bytes, \(opened.sections.count) sections with checksums verified, runs in PithRuntime, \(opened.tensors.count) tensors of which \(constants) constants, \(opened.graph.nodes.count) nodes)")
    }
}
