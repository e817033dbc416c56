import CZlib
import Foundation
import PithTensor

/// What a training run was asked to do; stored in every checkpoint so `--resume` can
/// refuse a run that would not end where the interrupted one would have.
public struct TrainingConfig: Codable, Equatable, Sendable {
    public var modelText: String
    public var data: String
    public var seed: UInt64
    public var epochs: Int
    /// Samples per update; 0 means the whole training split (full-batch gradient descent).
    public var batchSize: Int
    public var optimizer: OptimizerConfig
    public var schedule: Schedule
    /// The training loss on the logits (see `Loss`).
    public var loss: Loss
    /// Quantization-aware training (nil: float training).
    public var qat: QATConfig?
    /// The checkpoint whose weights the run started from (fine-tuning): its path and
    /// a hash of its bytes; nil for a fresh initialisation.
    public var startedFrom: String?
    /// Data augmentation of the training batches (nil: none).
    public var augmentation: Augmentation?
    /// Distillation from teachers (nil: hard labels alone).
    public var distillation: DistillationConfig?

    public init(modelText: String, data: String, seed: UInt64, epochs: Int, batchSize: Int,
                optimizer: OptimizerConfig, schedule: Schedule, loss: Loss = .crossEntropy,
                qat: QATConfig? = nil, startedFrom: String? = nil) {
        self.qat = qat
        self.startedFrom = startedFrom
        self.modelText = modelText
        self.data = data
        self.seed = seed
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.schedule = schedule
        self.loss = loss
    }
}

/// One epoch's figures.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double
    public var validationAccuracy: Double
    public var samplesPerSecond: Double
    public var seconds: Double
}

/// A training run frozen at an epoch boundary: config, weights, optimizer state, history.
///
/// File layout (little-endian): "PITHCKPT", UInt32 version (1), UInt64 header length,
/// the JSON header, UInt64 float count, the floats (parameters in model order, then the
/// optimizer's state slots), and a CRC-32 (zlib) of everything before it.
public struct Checkpoint {
    public static let magic: [UInt8] = Array("PITHCKPT".utf8)
    public static let version: UInt32 = 1
    static let maxHeader = 1 << 24
    static let maxFloats = 1 << 31

    struct Header: Codable {
        var config: TrainingConfig
        var epochsDone: Int
        var step: Int
        var history: [EpochRecord]
        var parameterShapes: [[Int]]
        var optimizerSlots: Int
        /// Quantization-aware runs: the tracked range of each quantization point.
        var activationRanges: [ActivationRange]?
        /// Trailing parameters that belong to the training objective, not the model.
        var auxiliaryParameters: Int?
    }

    public var config: TrainingConfig
    public var epochsDone: Int
    public var step: Int
    public var history: [EpochRecord]
    public var parameters: [[Float]]
    public var parameterShapes: [[Int]]
    public var optimizerState: [[[Float]]]
    /// Quantization-aware runs: the ranges of the model's `FakeQuantization`.
    public var activationRanges: [ActivationRange]?
    /// How many of `parameters` (at the end) belong to the objective (a hint projection).
    public var auxiliaryCount: Int

    /// Captures a model, the objective's own parameters and the optimizer (whose state
    /// covers both, in that order).
    public init(config: TrainingConfig, model: Model, auxiliary: [Tensor] = [], optimizer: Optimizer, epochsDone: Int, history: [EpochRecord]) {
        self.config = config
        self.epochsDone = epochsDone
        self.step = optimizer.step
        self.history = history
        self.parameters = (model.parameters + auxiliary).map(\.scalars)
        self.parameterShapes = (model.parameters + auxiliary).map(\.shape)
        self.auxiliaryCount = auxiliary.count
        self.optimizerState = optimizer.state
        self.activationRanges = model.fakeQuantization?.ranges
    }

    /// The checkpoint's bytes.
    public func encoded() -> [UInt8] {
        let slots = optimizerState.first?.count ?? 0
        let header = Header(config: config, epochsDone: epochsDone, step: step, history: history,
                            parameterShapes: parameterShapes, optimizerSlots: slots,
                            activationRanges: activationRanges, auxiliaryParameters: auxiliaryCount > 0 ? auxiliaryCount : nil)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = [UInt8]((try? encoder.encode(header)) ?? Data())
        var out = Self.magic
        appendLE(&out, Self.version)
        appendLE(&out, UInt64(json.count))
        out += json
        var floats: [Float] = parameters.flatMap { $0 }
        for slotsOfParam in optimizerState { for slot in slotsOfParam { floats += slot } }
        appendLE(&out, UInt64(floats.count))
        out.reserveCapacity(out.count + floats.count * 4 + 4)
        #if _endian(little)
        floats.withUnsafeBytes { out += $0 }  // already little-endian in memory
        #else
        for f in floats { appendLE(&out, f.bitPattern) }
        #endif
        appendLE(&out, crc(out))
        return out
    }

    /// Writes atomically.
    public func write(to path: String) throws(PithError) {
        try AtomicFile.write(encoded(), to: path)
    }

    /// Reads and checks a checkpoint file: magic, version, sizes, CRC, shapes.
    public init(path: String) throws(PithError) {
        let bytes = try FileBytes.read(path)
        func bad(_ problem: String) -> PithError { .badFile(path: path, problem: problem) }
        guard bytes.count >= 8 + 4 + 8 + 8 + 4 else { throw bad("truncated: \(bytes.count) bytes is too short for a checkpoint") }
        guard Array(bytes[0..<8]) == Self.magic else { throw bad("not a Pith checkpoint (bad magic)") }
        let storedCRC: UInt32 = readLE(bytes, bytes.count - 4)
        guard storedCRC == crc(Array(bytes[0..<(bytes.count - 4)])) else {
            throw bad("checksum mismatch: the file is corrupt or truncated")
        }
        let version: UInt32 = readLE(bytes, 8)
        guard version == Self.version else { throw bad("checkpoint version \(version) is not supported (expected \(Self.version))") }
        let headerLength: UInt64 = readLE(bytes, 12)
        guard headerLength <= UInt64(Self.maxHeader), 20 + Int(headerLength) + 8 + 4 <= bytes.count else {
            throw bad("header length \(headerLength) does not fit in the file")
        }
        let headerEnd = 20 + Int(headerLength)
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(bytes[20..<headerEnd])) } catch {
            throw bad("header is not valid: \(error)")
        }
        let floatCount: UInt64 = readLE(bytes, headerEnd)
        guard floatCount <= UInt64(Self.maxFloats), headerEnd + 8 + Int(floatCount) * 4 + 4 == bytes.count else {
            throw bad("declares \(floatCount) values but the file size disagrees")
        }
        let sizes = header.parameterShapes.map { $0.reduce(1, *) }
        let parameterFloats = sizes.reduce(0, +)
        guard header.parameterShapes.allSatisfy({ $0.allSatisfy { $0 > 0 } }),
              header.optimizerSlots >= 0, header.optimizerSlots <= 2,
              parameterFloats * (1 + header.optimizerSlots) == Int(floatCount) else {
            throw bad("parameter shapes and optimizer state do not add up to the \(floatCount) stored values")
        }
        var offset = headerEnd + 8
        func take(_ n: Int) -> [Float] {
            var result = [Float](repeating: 0, count: n)
            #if _endian(little)
            result.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + 4 * n)])) }
            }
            #else
            for i in 0..<n { result[i] = Float(bitPattern: readLE(bytes, offset + 4 * i)) }
            #endif
            offset += 4 * n
            return result
        }
        config = header.config
        epochsDone = header.epochsDone
        step = header.step
        history = header.history
        parameterShapes = header.parameterShapes
        parameters = sizes.map { take($0) }
        var state: [[[Float]]] = Array(repeating: [], count: sizes.count)
        for i in sizes.indices { for _ in 0..<header.optimizerSlots { state[i].append(take(sizes[i])) } }
        optimizerState = state
        activationRanges = header.activationRanges
        auxiliaryCount = header.auxiliaryParameters ?? 0
        guard auxiliaryCount >= 0 && auxiliaryCount < max(parameters.count, 1) else {
            throw bad("declares \(auxiliaryCount) objective parameters of \(parameters.count)")
        }
    }

    /// The values of the objective's parameters (the last `auxiliaryCount`).
    public var auxiliaryParameters: [[Float]] { Array(parameters.suffix(auxiliaryCount)) }

    /// The model this checkpoint holds, with its weights; `path` names the file in errors.
    public func model(path: String) throws(PithError) -> Model {
        let description = try ModelDescription(parsing: config.modelText, source: "\(path) (model)")
        let model = Model(description, seed: 0)
        let params = model.parameters
        guard params.map(\.shape) == Array(parameterShapes.dropLast(auxiliaryCount)) else {
            throw .badFile(path: path, problem: "stored weight shapes do not match the model description '\(description.name)'")
        }
        for (p, values) in zip(params, parameters) {
            values.withUnsafeBufferPointer { p.data.update(from: $0.baseAddress!, count: p.count) }
        }
        if let activationRanges {
            let fq = FakeQuantization(layers: model.layers, momentum: config.qat?.momentum ?? 0.01, ranges: activationRanges)
            guard fq.points == FakeQuantization(layers: model.layers).points else {
                throw .badFile(path: path, problem: "holds \(activationRanges.count) activation ranges; model '\(description.name)' has \(FakeQuantization(layers: model.layers).points) quantization points")
            }
            for (i, r) in activationRanges.enumerated() where !(r.lo.isFinite && r.hi.isFinite && r.lo <= 0 && r.hi >= 0) {
                throw .badFile(path: path, problem: "activation range \(i) [\(r.lo), \(r.hi)] is not a finite range holding 0")
            }
            model.fakeQuantization = fq
        }
        return model
    }
}

func appendLE<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
    var v = value.littleEndian
    withUnsafeBytes(of: &v) { out += $0 }
}

func readLE<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int) -> T {
    var v: T = 0
    for i in 0..<MemoryLayout<T>.size { v |= T(bytes[offset + i]) << (8 * i) }
    return v
}

/// CRC-32 (zlib's polynomial) of `bytes`.
func crc(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
}
