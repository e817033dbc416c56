/// A model as a human-readable file: its name, its input shape and one layer per line.
///
/// ```
/// # mlp-tiny: 784-64-10
/// name mlp-tiny
/// input 784          # or: input 1 28 28  (C H W), or: input 28 28  (T F, a sequence)
/// dense 64
/// relu
/// dense 10
/// ```
/// Blank lines and `#` comments are ignored. Layers: `dense N`, `conv N KxK [stride S] [pad P]`,
/// `maxpool K [stride S]`, `avgpool K [stride S]`, `relu`, `gelu`, `tanh`, `sigmoid`,
/// `dropout P`, `flatten`, and for sequences `lstm N [sequence]`, `position`, `layernorm`,
/// `transformer-block heads H ff F`, `mean-tokens` (docs/models.md gives their shapes).
/// Parsing checks that every layer fits the shape before it.
public struct ModelDescription: Equatable, Sendable {
    public let name: String
    /// Input shape without the batch axis: (features), (T, F) a sequence of T tokens, or (C, H, W).
    public let inputShape: [Int]
    public let layers: [LayerSpec]
    /// Shapes without the batch axis: `shapes[0]` is the input, `shapes[i+1]` follows layer i.
    public let shapes: [[Int]]

    /// Limits that keep a malformed file from asking for absurd allocations.
    public static let maxDimension = 1 << 20
    /// 2²⁸ parameters: 1 GiB of float weights (3 GiB with Adam's two moments).
    public static let maxParameters = 1 << 28
    /// 2²² values per sample over the input and every layer's output (16 MiB of floats):
    /// what one sample's forward pass keeps for the backward one.
    public static let maxActivations = 1 << 22
    public static let maxLayers = 1024

    /// Builds and shape-checks a description; `source` names the file in errors.
    public init(name: String, inputShape: [Int], layers: [LayerSpec], source: String = "model") throws(PithError) {
        guard !inputShape.isEmpty, inputShape.count <= 3,
              inputShape.allSatisfy({ $0 > 0 && $0 <= Self.maxDimension }) else {
            throw .badFile(path: source, problem: "input shape \(inputShape) must be (features), (T F) or (C H W) with positive sizes")
        }
        var shapes = [inputShape]
        var params = 0
        // Each shape has at most 3 dimensions of at most 2²⁰: its product cannot overflow.
        var activations = inputShape.reduce(1, *)
        guard activations <= Self.maxActivations else {
            throw .badFile(path: source, problem: "input shape \(inputShape) has more than \(Self.maxActivations) values")
        }
        for (i, layer) in layers.enumerated() {
            switch layer.outputShape(for: shapes[i]) {
            case let .success(next):
                guard next.allSatisfy({ $0 > 0 && $0 <= Self.maxDimension }) else {
                    throw .badFile(path: source, problem: "layer \(i + 1) '\(layer.text)' gives shape \(next), out of range")
                }
                params += layer.parameterCount(for: shapes[i])
                guard params <= Self.maxParameters else {
                    throw .badFile(path: source, problem: "more than \(Self.maxParameters) parameters")
                }
                activations += next.reduce(1, *) + layer.internalValues(for: shapes[i])
                guard activations <= Self.maxActivations else {
                    throw .badFile(path: source, problem: "layer \(i + 1) '\(layer.text)': more than \(Self.maxActivations) values per sample over the layers")
                }
                shapes.append(next)
            case let .failure(problem):
                throw .badFile(path: source, problem: "layer \(i + 1) '\(layer.text)': \(problem.text)")
            }
        }
        guard let last = shapes.last, last.count == 1 else {
            throw .badFile(path: source, problem: "the last layer must give a flat vector of class scores, got \(shapes.last ?? [])")
        }
        self.name = name
        self.inputShape = inputShape
        self.layers = layers
        self.shapes = shapes
    }

    /// Number of output classes (the size of the last layer).
    public var classes: Int { shapes.last?[0] ?? 0 }

    /// Number of input features: the product of the input shape.
    public var inputFeatures: Int { inputShape.reduce(1, *) }

    /// Trainable parameters, weights and biases.
    public var parameterCount: Int {
        layers.indices.reduce(0) { $0 + layers[$1].parameterCount(for: shapes[$1]) }
    }

    /// The shape of each trainable tensor, in `Model.parameters` order (per weighted layer,
    /// its weight then its bias), computed without allocating any.
    public var parameterShapes: [[Int]] {
        layers.indices.flatMap { layers[$0].parameterShapes(for: shapes[$0]) }
    }

    /// The description as file text (parses back to an equal description).
    public var text: String {
        (["name \(name)", "input " + inputShape.map(String.init).joined(separator: " ")]
            + layers.map(\.text)).joined(separator: "\n") + "\n"
    }
}

extension ModelDescription {
    /// Parses a model file's text. Errors name `source` and the line.
    public init(parsing text: String, source: String) throws(PithError) {
        var name: String?
        var input: [Int]?
        var layers: [LayerSpec] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let keyword = words.first else { continue }
            func fail(_ problem: String) -> PithError { .badFile(path: "\(source):\(lineNumber)", problem: problem) }
            func int(_ i: Int, _ what: String) throws(PithError) -> Int {
                guard i < words.count, let v = Int(words[i]), v > 0, v <= Self.maxDimension else {
                    throw fail("'\(keyword)' needs a positive whole number for \(what)")
                }
                return v
            }
            /// Reads `key value` pairs after position `from`.
            func options(from: Int, allowed: [String]) throws(PithError) -> [String: Int] {
                var result: [String: Int] = [:]
                var i = from
                while i < words.count {
                    guard allowed.contains(words[i]), i + 1 < words.count, let v = Int(words[i + 1]), v >= 0, v <= Self.maxDimension else {
                        throw fail("unexpected '\(words[i...].joined(separator: " "))' after '\(keyword)' (allowed: \(allowed.joined(separator: ", ")) followed by a number)")
                    }
                    result[words[i]] = v
                    i += 2
                }
                return result
            }
            func noArguments() throws(PithError) {
                if words.count > 1 { throw fail("'\(keyword)' takes no arguments") }
            }
            switch keyword {
            case "name":
                guard words.count == 2 else { throw fail("'name' needs one word") }
                name = words[1]
            case "input":
                guard words.count >= 2 && words.count <= 4 else { throw fail("'input' needs (features), (T F) or (C H W)") }
                var shape: [Int] = []
                for i in 1..<words.count { shape.append(try int(i, "the input size")) }
                input = shape
            case "dense":
                guard words.count == 2 else { throw fail("'dense' needs one number: its output size") }
                layers.append(.dense(units: try int(1, "the output size")))
            case "conv":
                let filters = try int(1, "the number of filters")
                guard words.count >= 3 else { throw fail("'conv' needs a kernel size such as 5x5") }
                let parts = words[2].split(separator: "x")
                guard parts.count == 2, let kh = Int(parts[0]), let kw = Int(parts[1]), kh == kw, kh > 0, kh <= 64 else {
                    throw fail("conv kernel '\(words[2])' must be square, such as 3x3 (at most 64x64)")
                }
                let o = try options(from: 3, allowed: ["stride", "pad"])
                let stride = o["stride"] ?? 1
                guard stride >= 1 else { throw fail("conv stride must be at least 1") }
                layers.append(.conv(filters: filters, kernel: kh, stride: stride, padding: o["pad"] ?? 0))
            case "maxpool", "avgpool":
                let k = try int(1, "the window size")
                let o = try options(from: 2, allowed: ["stride"])
                let stride = o["stride"] ?? k
                guard stride >= 1 else { throw fail("pooling stride must be at least 1") }
                layers.append(keyword == "maxpool" ? .maxPool(kernel: k, stride: stride) : .avgPool(kernel: k, stride: stride))
            case "dropout":
                guard words.count == 2, let p = Float(words[1]), p >= 0, p < 1 else {
                    throw fail("'dropout' needs a probability in [0, 1)")
                }
                layers.append(.dropout(p: p))
            case "relu": try noArguments(); layers.append(.relu)
            case "gelu": try noArguments(); layers.append(.gelu)
            case "tanh": try noArguments(); layers.append(.tanh)
            case "sigmoid": try noArguments(); layers.append(.sigmoid)
            case "flatten": try noArguments(); layers.append(.flatten)
            case "lstm":
                guard words.count == 2 || (words.count == 3 && words[2] == "sequence") else {
                    throw fail("'lstm' needs its hidden size, optionally followed by 'sequence'")
                }
                layers.append(.lstm(units: try int(1, "the hidden size"), sequence: words.count == 3))
            case "position": try noArguments(); layers.append(.position)
            case "layernorm": try noArguments(); layers.append(.layerNorm)
            case "mean-tokens": try noArguments(); layers.append(.meanTokens)
            case "transformer-block":
                let o = try options(from: 1, allowed: ["heads", "ff"])
                guard let heads = o["heads"], let ff = o["ff"], heads > 0, ff > 0 else {
                    throw fail("'transformer-block' needs 'heads N ff N' (positive numbers)")
                }
                layers.append(.transformerBlock(heads: heads, feedForward: ff))
            default:
                throw fail("unknown keyword '\(keyword)' (expected name, input, dense, conv, maxpool, avgpool, relu, gelu, tanh, sigmoid, dropout, flatten, lstm, position, layernorm, transformer-block, mean-tokens)")
            }
            if layers.count > Self.maxLayers { throw fail("more than \(Self.maxLayers) layers") }
        }
        guard let input else { throw .badFile(path: source, problem: "no 'input' line") }
        guard !layers.isEmpty else { throw .badFile(path: source, problem: "no layers") }
        try self.init(name: name ?? "model", inputShape: input, layers: layers, source: source)
    }
}
