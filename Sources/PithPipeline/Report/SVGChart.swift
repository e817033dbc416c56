import Foundation

/// Small self-contained SVG charts for `report.html`: lines, bars, a heat map, a histogram.
/// Every chart is one `<svg class="chart" data-chart="ID" data-points="N">` element, N being
/// the number of data values drawn, so that a test (or a person) can check it has data.
enum SVGChart {
    static let width = 440.0, height = 250.0
    static let left = 56.0, right = 12.0, top = 30.0, bottom = 40.0
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"]

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func number(_ x: Double) -> String {
        if x == 0 { return "0" }
        let a = abs(x)
        if a >= 1e6 { return String(format: "%.1fM", x / 1e6) }
        if a >= 1e4 { return String(format: "%.0fk", x / 1e3) }
        if a >= 100 { return String(format: "%.0f", x) }
        if a >= 1 { return String(format: "%.3g", x) }
        return String(format: "%.2g", x)
    }

    static func open(_ id: String, _ title: String, points: Int, w: Double = width, h: Double = height) -> String {
        "<svg class=\"chart\" data-chart=\"\(escape(id))\" data-points=\"\(points)\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\">"
            + "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>"
            + "<text x=\"\(Int(w / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(escape(title))</text>"
    }

    /// Round tick values covering [lo, hi]: a step of 1, 2 or 5 × 10ᵏ giving about `count`
    /// intervals, the range widened to whole steps. Log axes: the powers of ten.
    static func ticks(lo: Double, hi: Double, count: Int = 5, log: Bool = false) -> [Double] {
        if log {
            let a = Foundation.floor(Foundation.log10(max(lo, 1e-300))), b = Foundation.ceil(Foundation.log10(max(hi, 1e-300)))
            return stride(from: a, through: max(b, a + 1), by: 1).map { pow(10, $0) }
        }
        let span = max(hi - lo, 1e-12)
        let raw = span / Double(count)
        let magnitude = pow(10, Foundation.floor(Foundation.log10(raw)))
        let mantissa = [1.0, 2, 5, 10].first { $0 * magnitude >= raw * (1 - 1e-12) } ?? 10
        let step = mantissa * magnitude
        // k·step as k·mantissa / 10ʲ below 1, so that 3 × 0.1 prints as 0.3.
        func value(_ k: Double) -> Double { magnitude < 1 ? k * mantissa / (1 / magnitude).rounded() : k * mantissa * magnitude }
        let first = Foundation.floor(lo / step + 1e-9), last = Foundation.ceil(hi / step - 1e-9)
        return stride(from: first, through: last, by: 1).map { value($0) }
    }

    /// Axes with labels at `ticks` (the first and last are the plot's bottom and top).
    static func frame(ticks: [Double], xLabel: String, yLabel: String, log: Bool = false) -> String {
        var s = "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"#333\"/>"
            + "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" stroke=\"#333\"/>"
        let lo = ticks.first ?? 0, hi = ticks.last ?? 1
        for v in ticks {
            let f = log ? (Foundation.log10(v) - Foundation.log10(lo)) / (Foundation.log10(hi) - Foundation.log10(lo)) : (v - lo) / (hi - lo)
            let y = height - bottom - f * (height - top - bottom)
            s += "<line x1=\"\(left - 4)\" y1=\"\(y)\" x2=\"\(width - right)\" y2=\"\(y)\" stroke=\"#eee\"/>"
            s += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\" font-size=\"10\">\(number(v))</text>"
        }
        s += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\" font-size=\"11\">\(escape(xLabel))</text>"
        s += "<text x=\"12\" y=\"\((top + height - bottom) / 2)\" text-anchor=\"middle\" font-size=\"11\" transform=\"rotate(-90 12 \((top + height - bottom) / 2))\">\(escape(yLabel))</text>"
        return s
    }

    /// Lines over x = 1...n (epochs), one per series, with a legend.
    /// `maximum` caps the axis (100 for a percentage: no tick above 100%).
    static func lines(id: String, title: String, xLabel: String, yLabel: String, series: [(name: String, values: [Double])], maximum: Double? = nil) -> String {
        let all = series.flatMap(\.values).filter(\.isFinite)
        let n = series.map(\.values.count).max() ?? 0
        var lo = all.min() ?? 0, hi = all.max() ?? 1
        if hi - lo < 1e-12 { lo -= 0.5; hi += 0.5 }
        var axis = ticks(lo: lo >= 0 ? max(0, lo) : lo, hi: hi)
        if let maximum { axis = axis.filter { $0 <= maximum + 1e-9 }; if (axis.last ?? 0) < min(hi, maximum) { axis.append(maximum) } }
        lo = axis.first ?? lo
        hi = axis.last ?? hi
        var s = open(id, title, points: all.count) + frame(ticks: axis, xLabel: xLabel, yLabel: yLabel)
        let plotW = width - left - right, plotH = height - top - bottom
        func x(_ i: Int) -> Double { left + (n <= 1 ? plotW / 2 : Double(i) / Double(n - 1) * plotW) }
        func y(_ v: Double) -> Double { height - bottom - (v - lo) / (hi - lo) * plotH }
        // The legend goes where the lines end up not being: bottom right when they finish high.
        let ends = series.compactMap { $0.values.last(where: \.isFinite) }
        let legendY = ends.isEmpty || ends.reduce(0, +) / Double(ends.count) < (lo + hi) / 2 ? top + 4 : height - bottom - 8 - 15 * Double(series.count)
        for (k, line) in series.enumerated() {
            let color = colors[k % colors.count]
            let pts = line.values.enumerated().filter { $0.element.isFinite }.map { "\(String(format: "%.1f", x($0.offset))),\(String(format: "%.1f", y($0.element)))" }
            s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" points=\"\(pts.joined(separator: " "))\"/>"
            s += "<rect x=\"\(width - right - 150)\" y=\"\(legendY + Double(k) * 15)\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            s += "<text x=\"\(width - right - 136)\" y=\"\(legendY + 9 + Double(k) * 15)\" font-size=\"10\">\(escape(line.name))</text>"
        }
        s += "<text x=\"\(left)\" y=\"\(height - bottom + 14)\" font-size=\"10\">1</text>"
        s += "<text x=\"\(width - right)\" y=\"\(height - bottom + 14)\" text-anchor=\"end\" font-size=\"10\">\(n)</text>"
        return s + "</svg>"
    }

    /// One bar per label, from zero (`log` for values spanning decades: from the power of
    /// ten below the smallest); `maximum` caps the axis (100 for a percentage).
    static func bars(id: String, title: String, yLabel: String, labels: [String], values: [Double], format: (Double) -> String, log: Bool = false, maximum: Double? = nil) -> String {
        let finite = values.filter { $0.isFinite && (!log || $0 > 0) }
        var axis = ticks(lo: log ? (finite.min() ?? 1) : 0, hi: max(finite.max() ?? 1, log ? 10 : 1e-9), log: log)
        if let maximum { axis = axis.filter { $0 <= maximum + 1e-9 }; if (axis.last ?? 0) < maximum, (finite.max() ?? 0) > (axis.last ?? 0) { axis.append(maximum) } }
        let lo = axis.first ?? 0, hi = axis.last ?? 1
        var s = open(id, title, points: finite.count) + frame(ticks: axis, xLabel: "", yLabel: yLabel, log: log)
        let plotW = width - left - right, plotH = height - top - bottom
        let slot = plotW / Double(max(labels.count, 1))
        for (i, (label, v)) in zip(labels, values).enumerated() where v.isFinite && (!log || v > 0) {
            let f = log ? (Foundation.log10(v) - Foundation.log10(lo)) / (Foundation.log10(hi) - Foundation.log10(lo)) : (v - lo) / (hi - lo)
            let h = max(1, min(1, f) * plotH)
            let x = left + Double(i) * slot + slot * 0.15
            s += "<rect x=\"\(x)\" y=\"\(height - bottom - h)\" width=\"\(slot * 0.7)\" height=\"\(h)\" fill=\"\(colors[i % colors.count])\"/>"
            s += "<text x=\"\(x + slot * 0.35)\" y=\"\(height - bottom - h - 3)\" text-anchor=\"middle\" font-size=\"10\">\(escape(format(v)))</text>"
            s += "<text x=\"\(x + slot * 0.35)\" y=\"\(height - bottom + 13)\" text-anchor=\"middle\" font-size=\"10\">\(escape(label))</text>"
        }
        return s + "</svg>"
    }

    /// A square matrix of counts: rows true class, columns predicted; darker = more. Cells
    /// grow for few classes (two classes: 80 px each), and `names` label the axes.
    static func heatmap(id: String, title: String, matrix: [[Int]], names: [String]? = nil) -> String {
        let n = matrix.count
        let cell = max(26.0, min(80.0, 200.0 / Double(max(n, 1)))), y0 = 40.0
        let label = { (i: Int) -> String in names.flatMap { i < $0.count ? $0[i] : nil } ?? String(i) }
        let x0 = max(50.0, 8 + 6.5 * Double((0..<n).map { label($0).count }.max() ?? 1))
        let size = max(x0 + cell * Double(n) + 20, 300)
        var s = open(id, title, points: matrix.joined().count, w: size, h: y0 + cell * Double(n) + 40)
        for (r, row) in matrix.enumerated() {
            let total = max(1, row.reduce(0, +))
            for (c, v) in row.enumerated() {
                let f = Double(v) / Double(total)
                let shade = r == c ? "rgba(31,119,180,\(String(format: "%.3f", 0.15 + 0.85 * f)))" : (v == 0 ? "#fafafa" : "rgba(214,39,40,\(String(format: "%.3f", min(1, 0.2 + 8 * f))))")
                s += "<rect x=\"\(x0 + Double(c) * cell)\" y=\"\(y0 + Double(r) * cell)\" width=\"\(cell - 1)\" height=\"\(cell - 1)\" fill=\"\(shade)\"><title>true \(r), predicted \(c): \(v)</title></rect>"
                s += "<text x=\"\(x0 + Double(c) * cell + cell / 2)\" y=\"\(y0 + Double(r) * cell + cell / 2 + 3)\" text-anchor=\"middle\" font-size=\"\(cell >= 40 ? 13 : 8)\">\(v)</text>"
            }
            s += "<text x=\"\(x0 - 5)\" y=\"\(y0 + Double(r) * cell + cell / 2 + 3)\" text-anchor=\"end\" font-size=\"10\">\(escape(label(r)))</text>"
            s += "<text x=\"\(x0 + Double(r) * cell + cell / 2)\" y=\"\(y0 - 4)\" text-anchor=\"middle\" font-size=\"10\">\(escape(label(r)))</text>"
        }
        s += "<text x=\"\(x0 + cell * Double(n) / 2)\" y=\"\(y0 + cell * Double(n) + 24)\" text-anchor=\"middle\" font-size=\"11\">rows: true class · columns: predicted</text>"
        return s + "</svg>"
    }

    /// A histogram of `values` in `bins` equal bins between their min and max.
    static func histogram(id: String, title: String, values: [Float], bins: Int = 41) -> String {
        let lo = Double(values.min() ?? 0), hi = Double(values.max() ?? 1)
        let span = max(hi - lo, 1e-12)
        var counts = [Double](repeating: 0, count: bins)
        for v in values { counts[min(bins - 1, Int((Double(v) - lo) / span * Double(bins)))] += 1 }
        let top = counts.max() ?? 1
        let axis = ticks(lo: 0, hi: top)
        var s = open(id, title, points: values.isEmpty ? 0 : bins) + frame(ticks: axis, xLabel: "weight value", yLabel: "count")
        let plotW = width - left - right, plotH = height - SVGChart.top - bottom
        for (i, c) in counts.enumerated() where c > 0 {
            let h = c / (axis.last ?? top) * plotH
            s += "<rect x=\(String(format: "\"%.1f\"", left + Double(i) / Double(bins) * plotW)) y=\"\(height - bottom - h)\" width=\(String(format: "\"%.1f\"", plotW / Double(bins) - 0.5)) height=\"\(h)\" fill=\"#1f77b4\"/>"
        }
        s += "<text x=\"\(left)\" y=\"\(height - bottom + 14)\" font-size=\"10\">\(String(format: "%.3g", lo))</text>"
        s += "<text x=\"\(width - right)\" y=\"\(height - bottom + 14)\" text-anchor=\"end\" font-size=\"10\">\(String(format: "%.3g", hi))</text>"
        return s + "</svg>"
    }
}
