import Foundation
import PithNN

/// Shows training progress: a live bar on a terminal, plain log lines otherwise.
struct ProgressDisplay {
    let isTerminal = isatty(STDERR_FILENO) != 0
    var lastDraw = Date.distantPast

    mutating func update(_ p: TrainingProgress) {
        guard isTerminal else { return }
        let now = Date()
        if p.batch != p.batches && now.timeIntervalSince(lastDraw) < 0.1 { return }
        lastDraw = now
        let width = 24
        let filled = p.batch * width / max(p.batches, 1)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r\u{1B}[2Kepoch %d/%d %@ %d/%d  loss %.4f  acc %.2f%%  %.0f samples/s  %@ left",
                          p.epoch, p.epochs, bar, p.batch, p.batches, p.loss, p.accuracy * 100,
                          p.samplesPerSecond, Self.duration(p.secondsLeft))
        FileHandle.standardError.write(Data(line.utf8))
    }

    func epochDone(_ r: EpochRecord, of epochs: Int) {
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        print(String(format: "epoch %d/%d  train loss %.4f acc %.2f%%  validation loss %.4f acc %.2f%%  %.0f samples/s  %.1fs",
                     r.epoch, epochs, r.trainLoss, r.trainAccuracy * 100, r.validationLoss,
                     r.validationAccuracy * 100, r.samplesPerSecond, r.seconds))
        StandardOutput.flush()
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(t % 3600 / 60)m" : t >= 60 ? "\(t / 60)m\(t % 60)s" : "\(t)s"
    }
}

/// Runs a trainer to the end with a progress display.
func runWithProgress(_ trainer: Trainer, checkpoint: String?, stopAfter: Int? = nil, quiet: Bool = false) throws(PithError) {
    var display = ProgressDisplay()
    try trainer.run(checkpointPath: checkpoint, stopAfter: stopAfter,
                    progress: { if !quiet { display.update($0) } },
                    onEpoch: { if !quiet { display.epochDone($0, of: trainer.config.epochs) } })
}
