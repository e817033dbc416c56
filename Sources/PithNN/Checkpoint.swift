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
    /// Distillation from teachers (nil: hard labels alone): PithDistill's configuration
    /// (`DistillationConfig`) as it wrote it, kept and written back here unread.
    public var distillation: JSONValue?
    /// The input standardization the model applies first (nil: none), computed on the
    /// training split when the run began.
    public var standardization: Standardization?
    /// The classes' names, in class-number order (nil: the numbers themselves).
    public var classNames: [String]?
    /// How the data set named by `data` is read, when more than its name says (a CSV's label
    /// column or header, separate validation and test files); nil: the name alone.
    public var dataSpec: DataSpec?
    /// Keep the weights of the epoch with the best validation accuracy (the first of equals)
    /// when the run ends, not the last epoch's (nil or false: the last).
    public var keepBest: Bool?

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

    /// The data set the run was trained on, as its stages load it.
    public var dataSet: DataSpec { dataSpec ?? DataSpec(name: data) }
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

        /// The first field holding a value no trainer writes (one that would make a resumed
        /// run trap or loop), as a line naming it; nil when all are in range. The trainer
        /// appends one history record per epoch, so `history` holds `epochsDone` of them.
        var problem: String? {
            let c = config, positiveFinite = Float.leastNonzeroMagnitude...Float.greatestFiniteMagnitude
            let checks: [String?] = [
                outside("config.epochs", c.epochs, 1...Checkpoint.maxEpochs),
                outside("epochsDone", epochsDone, 0...max(c.epochs, 0)),
                history.count == epochsDone ? nil : "header field 'history' holds \(history.count) epochs, but 'epochsDone' is \(epochsDone)",
                outside("step", step, 0...Checkpoint.maxSteps),
                outside("config.batchSize", c.batchSize, 0...Checkpoint.maxFloats),
                outside("config.schedule.warmupSteps", c.schedule.warmupSteps, 0...Checkpoint.maxSteps),
                outside("config.schedule.stepEpochs", c.schedule.stepEpochs, 1...Int.max),
                c.qat.flatMap { outside("config.qat.momentum", $0.momentum, positiveFinite.lowerBound...1) },
                outside("config.schedule.baseLR", c.schedule.baseLR, positiveFinite),
                outside("config.schedule.gamma", c.schedule.gamma, positiveFinite),
                outside("config.schedule.minLR", c.schedule.minLR, 0...Float.greatestFiniteMagnitude),
                outside("config.optimizer.momentum", c.optimizer.momentum, 0...1),
                outside("config.optimizer.beta1", c.optimizer.beta1, 0...1),
                outside("config.optimizer.beta2", c.optimizer.beta2, 0...1),
                outside("config.optimizer.epsilon", c.optimizer.epsilon, positiveFinite),
                outside("config.optimizer.weightDecay", c.optimizer.weightDecay, 0...Float.greatestFiniteMagnitude),
            ]
            return checks.lazy.compactMap { $0 }.first
        }
    }

    /// "header field 'FIELD' is VALUE, not in LO...HI" when `range` does not hold `value`;
    /// nil when it does. For the header's fields here and for those its records' owners
    /// check (PithDistill's distillation configuration).
    public static func outside<T: Comparable>(_ field: String, _ value: T, _ range: ClosedRange<T>) -> String? {
        range.contains(value) ? nil : "header field '\(field)' is \(value), not in \(range.lowerBound)...\(range.upperBound)"
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

    /// The checkpoint's bytes. Wall-clock figures (samples per second, seconds per epoch) are
    /// written as 0: the same run, on the same data with the same seed, writes the same bytes.
    public func encoded() -> [UInt8] {
        let slots = optimizerState.first?.count ?? 0
        let untimed = history.map { r in
            var r = r
            (r.samplesPerSecond, r.seconds) = (0, 0)
            return r
        }
        let header = Header(config: config, epochsDone: epochsDone, step: step, history: untimed,
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
        appendLE(&out, crc(out[...]))
        return out
    }

    /// Writes atomically.
    public func write(to path: String) throws(PithError) {
        try AtomicFile.write(encoded(), to: path)
    }

    /// Most epochs a run may ask for (`pith train --epochs` allows as many).
    public static let maxEpochs = 100_000
    /// Most update steps a checkpoint may have taken: far more than `maxEpochs` epochs of
    /// any data set that fits in memory, far from overflowing the step counter.
    public static let maxSteps = 1 << 48
    /// Highest rank of a stored tensor (a convolution's weight: filters, channels, K, K).
    public static let maxRank = 4

    /// Reads and checks a checkpoint file: magic, version, sizes, CRC, header fields, shapes.
    ///
    /// Every count is checked before it is used: each shape has rank 1...`maxRank` and
    /// dimensions in 1...`ModelDescription.maxDimension`; the parameters' values
    /// P = Σ ∏ shape and P · (1 + optimizerSlots) must equal the stored float count
    /// (≤ `maxFloats`), all computed without overflow. The file is read with at most
    /// `FileBytes.Limit.checkpoint` bytes.
    public init(path: String) throws(PithError) {
        try self.init(bytes: try FileBytes.read(path, limit: FileBytes.Limit.checkpoint), path: path)
    }

    /// The checkpoint held in `bytes` (the same checks); `path` names it in errors.
    public init(bytes: [UInt8], path: String) throws(PithError) {
        func bad(_ problem: String) -> PithError { .badFile(path: path, problem: problem) }
        guard bytes.count >= 8 + 4 + 8 + 8 + 4 else { throw bad("truncated: \(bytes.count) bytes is too short for a checkpoint") }
        guard Array(bytes[0..<8]) == Self.magic else { throw bad("not a Pith checkpoint (bad magic)") }
        let storedCRC: UInt32 = readLE(bytes, bytes.count - 4)
        guard storedCRC == crc(bytes[0..<(bytes.count - 4)]) else {
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
            throw bad("header \(PithError.jsonProblem(error))")
        }
        if let problem = header.problem { throw bad(problem) }
        let floatCount: UInt64 = readLE(bytes, headerEnd)
        guard floatCount <= UInt64(Self.maxFloats), headerEnd + 8 + Int(floatCount) * 4 + 4 == bytes.count else {
            throw bad("declares \(floatCount) values but the file size disagrees")
        }
        var sizes: [Int] = []
        var parameterFloats = 0
        for (i, shape) in header.parameterShapes.enumerated() {
            guard (1...Self.maxRank).contains(shape.count), shape.allSatisfy({ (1...ModelDescription.maxDimension).contains($0) }) else {
                throw bad("header field 'parameterShapes[\(i)]' \(shape) is not a shape of rank 1...\(Self.maxRank) with sizes in 1...\(ModelDescription.maxDimension)")
            }
            guard let size = Self.product(shape, limit: Self.maxFloats),
                  case (let sum, false) = parameterFloats.addingReportingOverflow(size), sum <= Self.maxFloats else {
                throw bad("parameter shapes hold more than \(Self.maxFloats) values")
            }
            sizes.append(size)
            parameterFloats = sum
        }
        guard (0...2).contains(header.optimizerSlots) else {
            throw bad("header field 'optimizerSlots' is \(header.optimizerSlots), not 0, 1 or 2")
        }
        guard case (let total, false) = parameterFloats.multipliedReportingOverflow(by: 1 + header.optimizerSlots),
              total == Int(floatCount) else {
            throw bad("parameter shapes and optimizer state do not add up to the \(floatCount) stored values")
        }
        let auxiliary = header.auxiliaryParameters ?? 0
        guard auxiliary >= 0 && auxiliary < max(sizes.count, 1) else {
            throw bad("declares \(auxiliary) objective parameters of \(sizes.count)")
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
        auxiliaryCount = auxiliary
    }

    /// ∏ shape, or nil when it overflows or exceeds `limit`.
    static func product(_ shape: [Int], limit: Int) -> Int? {
        var result = 1
        for d in shape {
            let (p, overflow) = result.multipliedReportingOverflow(by: d)
            guard !overflow, p <= limit else { return nil }
            result = p
        }
        return result
    }

    /// The values of the objective's parameters (the last `auxiliaryCount`).
    public var auxiliaryParameters: [[Float]] { Array(parameters.suffix(auxiliaryCount)) }

    /// The model this checkpoint holds, with its weights; `path` names the file in errors.
    /// The description's parameter shapes are compared with the stored ones before the
    /// model is built, so what it allocates is what the file holds.
    public func model(path: String) throws(PithError) -> Model {
        let description = try ModelDescription(parsing: config.modelText, source: "\(path) (model)")
        // Shapes first: the text may describe a far larger model than the stored weights.
        guard description.parameterShapes == Array(parameterShapes.dropLast(auxiliaryCount)) else {
            throw .badFile(path: path, problem: "stored weight shapes do not match the model description '\(description.name)'")
        }
        let model = Model(description, seed: 0)
        let params = model.parameters
        for (p, values) in zip(params, parameters) {
            values.withUnsafeBufferPointer { p.data.update(from: $0.baseAddress!, count: p.count) }
        }
        if let standardization = config.standardization {
            if let problem = standardization.problem(features: description.inputFeatures) { throw .badFile(path: path, problem: "field 'config.standardization': \(problem)") }
            if let problem = Model.standardizationProblem(description) { throw .badFile(path: path, problem: "field 'config.standardization': \(problem)") }
            model.standardization = standardization
        }
        if let activationRanges {
            let points: Int
            do { points = QuantizationPoints.count(try QuantizationPoints.stages(description)) } catch {
                throw .badFile(path: path, problem: "holds activation ranges, but \(error)")
            }
            guard activationRanges.count == points else {
                throw .badFile(path: path, problem: "holds \(activationRanges.count) activation ranges; model '\(description.name)' has \(points) quantization points")
            }
            for (i, r) in activationRanges.enumerated() where !(r.lo.isFinite && r.hi.isFinite && r.lo <= 0 && r.hi >= 0) {
                throw .badFile(path: path, problem: "activation range \(i) [\(r.lo), \(r.hi)] is not a finite range holding 0")
            }
            model.fakeQuantization = try FakeQuantization(description, momentum: config.qat?.momentum ?? 0.01, ranges: activationRanges)
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

/// CRC-32 (zlib's polynomial) of `bytes`, without copying them; fed to zlib in pieces
/// of at most 1 GiB, as its length argument is 32 bits.
func crc(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.withUnsafeBufferPointer { buffer in
        var value: uLong = 0
        var offset = 0
        repeat {
            let n = min(buffer.count - offset, 1 << 30)
            value = crc32(value, buffer.baseAddress.map { $0 + offset }, uInt(n))
            offset += n
        } while offset < buffer.count
        return UInt32(value)
    }
}
