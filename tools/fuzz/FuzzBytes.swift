// The fuzzer's bytes as a stream of choices (shared by the fuzz targets under tools/fuzz).
// Past the end every choice is its range's lower bound, so any input, however short,
// describes one whole case.

struct FuzzBytes {
    let bytes: UnsafeRawBufferPointer
    var at = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isEmpty: Bool { at >= bytes.count }

    mutating func byte() -> UInt8 {
        guard at < bytes.count else { return 0 }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func u32() -> UInt32 {
        var v: UInt32 = 0
        for i in 0 ..< 4 { v |= UInt32(byte()) << UInt32(8 * i) }
        return v
    }

    /// A whole number in `range` (a range up to 2³² wide).
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        let width = UInt64(range.upperBound - range.lowerBound) + 1
        let raw = width <= 256 ? UInt64(byte()) : UInt64(u32())
        return range.lowerBound + Int(raw % width)
    }

    /// true about once in `n` choices.
    mutating func oneIn(_ n: Int) -> Bool { int(0 ... n - 1) == 0 }

    mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A float: mostly ordinary values of either sign, sometimes the edge cases (0,
    /// subnormals, huge values, infinities, NaN).
    mutating func float() -> Float {
        switch int(0 ... 15) {
        case 0: return 0
        case 1: return .leastNonzeroMagnitude
        case 2: return .greatestFiniteMagnitude
        case 3: return .infinity
        case 4: return .nan
        case 5: return -Float(int(1 ... 1000))
        case 6: return Float(bitPattern: u32())
        default: return Float(int(1 ... 10_000)) / 1000
        }
    }

    /// A small positive scale for quantized tensors, now and then a hostile one.
    mutating func scale() -> Float {
        oneIn(16) ? float() : Float(int(1 ... 4000)) / 10_000
    }
}
