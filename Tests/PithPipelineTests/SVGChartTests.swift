@testable import PithPipeline
import XCTest

/// The report's charts: round ticks, percentages never above 100, bars from zero.
final class SVGChartTests: XCTestCase {
    func testTicksAreRound() {
        XCTAssertEqual(SVGChart.ticks(lo: 0, hi: 97.3), [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(SVGChart.ticks(lo: 0.0312, hi: 0.4871), [0, 0.1, 0.2, 0.3, 0.4, 0.5])
        XCTAssertEqual(SVGChart.ticks(lo: 1200, hi: 3_400_000, log: true), [1000, 10_000, 100_000, 1_000_000, 10_000_000])
        for (lo, hi) in [(0.0, 1.0), (3.7, 9.2), (-2.5, 7.1), (0, 1e-7)] {
            let t = SVGChart.ticks(lo: lo, hi: hi)
            XCTAssertLessThanOrEqual(t.first!, lo)
            XCTAssertGreaterThanOrEqual(t.last!, hi)
            XCTAssert(t.count >= 3 && t.count <= 12, "\(lo)...\(hi): \(t)")
        }
    }

    /// The highest y label of a chart.
    func highestLabel(_ svg: String) -> Double? {
        svg.components(separatedBy: "text-anchor=\"end\" font-size=\"10\">").dropFirst().compactMap { Double($0.prefix { $0 != "<" }) }.max()
    }

    func lowestLabel(_ svg: String) -> Double? {
        svg.components(separatedBy: "text-anchor=\"end\" font-size=\"10\">").dropFirst().compactMap { Double($0.prefix { $0 != "<" }) }.min()
    }

    func testPercentagesStopAt100AndBarsStartAtZero() {
        let lines = SVGChart.lines(id: "a", title: "a", xLabel: "epoch", yLabel: "%", series: [("train", [91, 99.5, 100])], maximum: 100)
        XCTAssertEqual(highestLabel(lines), 100)
        let bars = SVGChart.bars(id: "b", title: "b", yLabel: "%", labels: ["x", "y"], values: [97.5, 99.2], format: { "\($0)" }, maximum: 100)
        XCTAssertEqual(highestLabel(bars), 100)
        XCTAssertEqual(lowestLabel(bars), 0, "bars start at zero")
    }

    func testTwoClassConfusionMatrixIsReadable() {
        let svg = SVGChart.heatmap(id: "c", title: "confusion matrix, int8 model, test split", matrix: [[70, 2], [1, 41]], names: ["benign", "malignant"])
        XCTAssert(svg.contains(">malignant<") && svg.contains(">benign<"), "class names on the axes")
        XCTAssert(svg.contains("width=\"79.0\""), "cells of 80 px at two classes")
        let width = Double(svg.components(separatedBy: "width=\"").dropFirst().first!.prefix { $0 != "\"" })!
        XCTAssertGreaterThanOrEqual(width, 300, "room for the title")
    }
}
