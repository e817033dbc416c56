import PithNN

/// A linked 32-bit little-endian ELF firmware image (what `pith build --target` links),
/// read for its memory budget: each allocated section's name, size, and whether it takes
/// flash (it has contents: code, constants, the initial image of data) and RAM (writable:
/// data, TLS, bss, the stack). A `.tbss` takes no room of its own (picolibc's script gives
/// it `.tbss_space`).
struct FirmwareImage {
    struct Section {
        var name: String
        var size: Int
        var inFlash: Bool
        var inRAM: Bool
    }

    var sections: [Section] = []

    var flashBytes: Int { sections.filter(\.inFlash).reduce(0) { $0 + $1.size } }
    var ramBytes: Int { sections.filter(\.inRAM).reduce(0) { $0 + $1.size } }
    func size(of name: String) -> Int { sections.first { $0.name == name }?.size ?? 0 }

    /// Reads the section headers of `bytes` (the file at `path`), checking every offset and
    /// count against the file's size before it reads.
    init(_ bytes: [UInt8], path: String) throws(PithError) {
        func bad(_ problem: String) -> PithError { .badFile(path: path, problem: "the linked firmware image: \(problem)") }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard bytes.count >= 52, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else { throw bad("not an ELF file") }
        guard bytes[4] == 1, bytes[5] == 1 else { throw bad("not a 32-bit little-endian ELF file") }
        let shoff = u32(0x20), shentsize = u16(0x2E), shnum = u16(0x30), shstrndx = u16(0x32)
        guard shentsize >= 40, shnum > 0, shstrndx < shnum, shoff <= bytes.count, shnum * shentsize <= bytes.count - shoff else {
            throw bad("section headers outside the file")
        }
        let names = shoff + shstrndx * shentsize
        let namesOffset = u32(names + 16), namesSize = u32(names + 20)
        guard namesOffset <= bytes.count, namesSize <= bytes.count - namesOffset else { throw bad("section names outside the file") }
        for i in 0..<shnum {
            let h = shoff + i * shentsize
            let type = u32(h + 4), flags = u32(h + 8), size = u32(h + 20)
            guard flags & 0x2 != 0 else { continue }  // SHF_ALLOC
            var end = namesOffset + u32(h)
            guard end < namesOffset + namesSize else { throw bad("section \(i)'s name is outside the names") }
            let start = end
            while end < namesOffset + namesSize, bytes[end] != 0 { end += 1 }
            let name = String(decoding: bytes[start..<end], as: UTF8.self)
            let noBits = type == 8, tls = flags & 0x400 != 0, writable = flags & 0x1 != 0
            sections.append(Section(name: name, size: size, inFlash: !noBits, inRAM: writable && !(noBits && tls)))
        }
    }
}

/// The linker's map of a firmware image: bytes of flash each kind of input took (the
/// runtime library, the C library, the compiler's runtime, the firmware's main, the model).
enum LinkerMap {
    /// Sums the input sections placed in the output sections that take flash (`flash`,
    /// FirmwareImage's names) by the archive or object they came from, classified by `kind`.
    static func flashByInput(_ text: String, flash: Set<String>, kind: (String) -> String) -> [String: Int] {
        var totals: [String: Int] = [:]
        var output: String? = nil
        var pending = false  // an input section's name on its own line, its figures on the next
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if let first = line.first, first != " " {
                // An output section: ".text  0x00000040  0x3b988".
                output = line.split(separator: " ").first.map(String.init)
                pending = false
                continue
            }
            guard let out = output, flash.contains(out) else { continue }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count == 1, fields[0].hasPrefix(".") { pending = true; continue }
            // " .text.f  0xADDR  0xSIZE  FILE" or, after a name alone on its line, " 0xADDR 0xSIZE FILE".
            let figures = pending ? fields : Array(fields.dropFirst())
            pending = false
            guard !(fields.first?.hasPrefix("*") ?? true), figures.count >= 3, figures[0].hasPrefix("0x"), figures[1].hasPrefix("0x"),
                  let size = Int(figures[1].dropFirst(2), radix: 16) else { continue }
            totals[kind(String(figures[2])), default: 0] += size
        }
        return totals
    }
}
