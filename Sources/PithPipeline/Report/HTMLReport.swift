import Foundation
import PithFormat
import PithNN
import PithONNX
import PithQuant

/// `report.html` of a pipeline run: one self-contained file (inline SVG, no scripts, no
/// external resources) with the teacher's and student's loss and accuracy per epoch, test
/// accuracy / size / latency per stage, the int8 model's confusion matrix, and per weighted
/// layer of the quantized model its weight histogram and what quantization cost:
/// the weights' relative error ‖w − ŵ‖/‖w‖ (ŵ: the int8 weights times their scales) and the
/// layer output's signal-to-quantization-noise ratio 10·log10(E[y²] / E[(y − ŷ)²]) on 200
/// validation images (float model against the integer simulation).
struct HTMLReport {
    let run: PipelineRun
    let splits: DataSplits

    /// When the report says it was written: SOURCE_DATE_EPOCH (seconds since 1970, UTC) when
    /// set, as reproducible builds do, else now.
    static func date() -> String {
        let epoch = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Double($0) }
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: epoch.map { Date(timeIntervalSince1970: $0) } ?? Date())
    }

    func html() throws -> String {
        let manifest = run.manifest
        var body = "<h1>Pith pipeline: \(SVGChart.escape(run.recipe.name))</h1>"
        body += "<p>Recipe <code>\(SVGChart.escape(run.recipe.path))</code> (xxh64 \(manifest.recipeXXH64)); data \(SVGChart.escape(run.recipe.data)): "
            + "\(splits.train.count) train, \(splits.validation.count) validation, \(splits.test.count) test samples. Written \(Self.date()).</p>"
        if let disagreement = manifest.stage("run")?.figures.disagreement {
            body += "<p class=\"banner\">The standalone executable disagrees with PithRuntime: \(SVGChart.escape(disagreement)). This run failed.</p>"
        }

        // Training curves.
        body += "<h2>Training</h2><div class=\"row\">"
        for (name, path) in [("teacher", run.teacherPath), ("student", run.studentPath)] where FileManager.default.fileExists(atPath: path) {
            let history = try ONNXImport.checkpointOrONNX(path: path, data: run.dataSpec.name).history
            guard !history.isEmpty else { continue }
            body += SVGChart.lines(id: "\(name)-loss", title: "\(name): loss per epoch", xLabel: "epoch", yLabel: "loss",
                                   series: [("train", history.map(\.trainLoss)), ("validation", history.map(\.validationLoss))])
            body += SVGChart.lines(id: "\(name)-accuracy", title: "\(name): accuracy per epoch (%)", xLabel: "epoch", yLabel: "accuracy %",
                                   series: [("train", history.map { $0.trainAccuracy * 100 }), ("validation", history.map { $0.validationAccuracy * 100 })], maximum: 100)
        }
        body += "</div>"

        // Stages.
        let stageNames = [("teacher", "teacher"), ("student", "student"), ("quantize", "int8 .pith"), ("run", "executable")]
        let present = stageNames.compactMap { key, label in manifest.stage(key).map { (label, $0) } }.filter { $0.1.figures.testAccuracy != nil }
        let bytes = present.map { label, s in Double(label == "executable" ? manifest.stage("build")?.figures.bytes ?? 0 : s.figures.bytes ?? 0) }
        body += "<h2>Stages</h2><div class=\"row\">"
        body += SVGChart.bars(id: "stage-accuracy", title: "test accuracy per stage (%)", yLabel: "accuracy %", labels: present.map(\.0),
                              values: present.map { ($0.1.figures.testAccuracy ?? .nan) * 100 }, format: { String(format: "%.2f", $0) }, maximum: 100)
        body += SVGChart.bars(id: "stage-size", title: "size per stage (bytes, log scale)", yLabel: "bytes", labels: present.map(\.0),
                              values: bytes, format: SVGChart.number, log: true)
        body += SVGChart.bars(id: "stage-latency", title: "latency per image (µs, batch 1)", yLabel: "µs", labels: present.map(\.0),
                              values: present.map { $0.1.figures.latencyMicroseconds ?? .nan }, format: { String(format: "%.1f", $0) })
        body += "</div>" + stageTable(present.map(\.1), bytes: bytes, labels: present.map(\.0))

        // The int8 model.
        if let confusion = manifest.stage("quantize")?.figures.confusion {
            let file = try FormatFiles.open(run.pithPath)
            body += "<h2>int8 model</h2><div class=\"row\">" + SVGChart.heatmap(id: "confusion", title: "confusion matrix, int8 model, test split", matrix: confusion,
                                                                                    names: file.metadata.strings("model.labels"))
            let checkpoint = run.recipe.student != nil ? run.studentPath : run.teacherPath
            let model = try ONNXImport.checkpointOrONNX(path: checkpoint, data: run.dataSpec.name).model(path: checkpoint)
            model.fakeQuantization = nil
            let images = StandardizationExport.standardized(splits.validation.slice(0..<min(200, splits.validation.count)), model.standardization)
            let layers = try PostTrainingQuantizer.report(model, quantized: StandardizationExport.strip(try file.model()), images: images)
            // Each weighted layer's weights and output channels (axis 0, as WeightQuantizer takes them).
            let weighted = model.layers.compactMap { layer -> (values: [Float], channels: Int)? in
                switch layer {
                case let .dense(d): return (d.weight.scalars, d.weight.shape[0])
                case let .conv(c): return (c.weight.scalars, c.weight.shape[0])
                default: return nil
                }
            }
            let weights = weighted.map(\.values)
            let weightErrors = weighted.map { w in Self.relativeError(w.values, WeightQuantizer.perChannelSymmetric(w.values, channels: w.channels).dequantized()) }
            let sqnr = layers.map { 10 * log10($0.signalPower / max($0.mse, 1e-30)) }
            let names = layers.map(\.name)
            body += SVGChart.bars(id: "layer-sqnr", title: "per layer: output SQNR (dB, higher is better)", yLabel: "dB", labels: names.indices.map { "layer \($0 + 1)" },
                                  values: sqnr, format: { String(format: "%.1f", $0) })
            body += SVGChart.bars(id: "layer-weight-error", title: "per layer: weight error ‖w−ŵ‖/‖w‖ (%)", yLabel: "%", labels: names.indices.map { "layer \($0 + 1)" },
                                  values: weightErrors.map { $0 * 100 }, format: { String(format: "%.2f", $0) })
            body += "</div><h3>Weights per layer</h3><div class=\"row\">"
            for (i, w) in weights.enumerated() {
                let title = "layer \(i + 1) \(i < names.count ? names[i] : ""): \(w.count) weights, int8 error \(String(format: "%.2f", weightErrors[i] * 100))%"
                    + (i < sqnr.count ? String(format: ", SQNR %.1f dB", sqnr[i]) : "")
                body += SVGChart.histogram(id: "layer-\(i + 1)-weights", title: title, values: w)
            }
            body += "</div>"
        }
        body += "<h2>Artifacts</h2><table><tr><th>stage</th><th>file</th><th>bytes</th><th>xxh64</th><th>seconds</th></tr>"
        for s in manifest.stages where s.name != "report" {
            for a in s.artifacts {
                body += "<tr><td>\(s.name)</td><td><code>\(SVGChart.escape(a.path))</code></td><td>\(a.bytes)</td><td><code>\(a.xxh64)</code></td><td>\(String(format: "%.1f", s.seconds))</td></tr>"
            }
        }
        body += "</table>"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Pith: \(SVGChart.escape(run.recipe.name))</title>
            <style>body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}.row{display:flex;flex-wrap:wrap;gap:12px}
            svg.chart{border:1px solid #ddd}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}
            td:first-child,th:first-child{text-align:left}code{font-size:12px}.banner{background:#c00;color:#fff;padding:8px 12px;font-weight:bold}</style></head>
            <body>\(body)</body></html>

            """
    }

    func stageTable(_ stages: [Manifest.StageRecord], bytes: [Double], labels: [String]) -> String {
        var s = "<table><tr><th>stage</th><th>test accuracy</th><th>errors</th><th>bytes</th><th>latency µs</th></tr>"
        for (i, st) in stages.enumerated() {
            let f = st.figures
            s += "<tr><td>\(labels[i])</td><td>\(String(format: "%.2f%%", (f.testAccuracy ?? 0) * 100))</td><td>\(f.testErrors ?? 0) of \(f.testCount ?? 0)</td>"
                + "<td>\(Int(bytes[i]))</td><td>\(f.latencyMicroseconds.map { String(format: "%.1f", $0) } ?? "-")</td></tr>"
        }
        return s + "</table>"
    }

    /// ‖a − b‖ / ‖a‖.
    static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a, b) { num += Double(x - y) * Double(x - y); den += Double(x) * Double(x) }
        return den > 0 ? (num / den).squareRoot() : 0
    }
}
