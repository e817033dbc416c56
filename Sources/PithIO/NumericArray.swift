/// An array read from an IDX or NPY file: its shape (C order, row-major) and its values in
/// the type the file stored them in, widened where that loses nothing: unsigned bytes stay
/// bytes (8-bit codes such as pixels), every other integer type becomes Int64, float32 and
/// float64 stay what they are, and NPY unicode strings (`<U…`) become Strings.
public struct NumericArray: Equatable, Sendable {
    public enum Values: Equatable, Sendable {
        case uint8([UInt8])
        case int64([Int64])
        case float32([Float])
        case float64([Double])
        /// NPY `<U…` / `>U…` (UTF-32) strings, their trailing NULs removed.
        case strings([String])
    }

    /// The sizes, outermost first; their product is `count` (1 for a scalar, shape []).
    public let shape: [Int]
    public let values: Values

    /// `values` must hold the product of `shape` elements.
    public init(shape: [Int], values: Values) {
        self.shape = shape
        self.values = values
        precondition(count == shape.reduce(1, *), "NumericArray: \(count) values for shape \(NumericArray.text(shape))")
    }

    public var count: Int {
        switch values {
        case let .uint8(v): return v.count
        case let .int64(v): return v.count
        case let .float32(v): return v.count
        case let .float64(v): return v.count
        case let .strings(v): return v.count
        }
    }

    /// The element type's name for messages: uint8, int64, float32, float64 or string.
    public var typeName: String {
        switch values {
        case .uint8: return "uint8"
        case .int64: return "int64"
        case .float32: return "float32"
        case .float64: return "float64"
        case .strings: return "string"
        }
    }

    /// The values as Float (float64 and large integers rounded to the nearest float32);
    /// nil for strings.
    public func floats() -> [Float]? {
        switch values {
        case let .uint8(v): return v.map { Float($0) }
        case let .int64(v): return v.map { Float($0) }
        case let .float32(v): return v
        case let .float64(v): return v.map { Float($0) }
        case .strings: return nil
        }
    }

    /// The values as whole numbers: integers as they are, floats only when every one is a
    /// whole number within Int64 (labels saved as float arrays); otherwise nil.
    public func integers() -> [Int64]? {
        func whole(_ d: Double) -> Int64? {
            guard d.isFinite, d == d.rounded(), d >= -9.2e18, d <= 9.2e18 else { return nil }
            return Int64(d)
        }
        switch values {
        case let .uint8(v): return v.map { Int64($0) }
        case let .int64(v): return v
        case let .float32(v):
            var out: [Int64] = []
            out.reserveCapacity(v.count)
            for x in v { guard let i = whole(Double(x)) else { return nil }; out.append(i) }
            return out
        case let .float64(v):
            var out: [Int64] = []
            out.reserveCapacity(v.count)
            for x in v { guard let i = whole(x) else { return nil }; out.append(i) }
            return out
        case .strings: return nil
        }
    }

    /// A shape as "2x3x4" ("scalar" for []).
    public static func text(_ shape: [Int]) -> String {
        shape.isEmpty ? "scalar" : shape.map { String($0) }.joined(separator: "x")
    }

    /// The product of `sizes`, or nil when the product of the nonzero sizes overflows or
    /// passes `limit`: a shape such as (0, 2³², 2³²) holds no values, but the product of any
    /// of its sizes (one sample's, (2³², 2³²)) must not overflow either, wherever it is taken.
    static func product(_ sizes: [Int], limit: Int) -> Int? {
        var bound = 1
        for s in sizes where s != 0 {
            let (p, overflow) = bound.multipliedReportingOverflow(by: s)
            guard !overflow, p <= limit else { return nil }
            bound = p
        }
        return sizes.contains(0) ? 0 : bound
    }
}
