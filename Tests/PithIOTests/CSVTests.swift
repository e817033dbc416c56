import PithIO
import XCTest

final class CSVTests: XCTestCase {
    func parse(_ text: String, _ options: CSV.Options = CSV.Options()) throws -> CSV.Table {
        try CSV.parse(Array(text.utf8), file: "d.csv", options: options)
    }

    /// Pith's CSV of before: no header, integer labels last; CRLF and blank lines.
    func testNumbersWithIntegerLabelsLast() throws {
        let t = try parse("1,2,0\n3,4,1\r\n\n  \n", CSV.Options(scale: 0.5))
        XCTAssertEqual(t.features, [0.5, 1, 1.5, 2])
        XCTAssertEqual(t.labels, [0, 1])
        XCTAssertEqual([t.rows, t.featureCount, t.classes], [2, 2, 2])
        XCTAssertNil(t.classNames)
        XCTAssertNil(t.featureNames)
        XCTAssertEqual(t.labelColumn, 2)
        XCTAssertEqual(try parse("1,2,7\n", CSV.Options(labels: .integers(classes: 10))).classes, 8, "the largest + 1")
    }

    /// A first row of names in the feature columns is a header; one whose only non-number
    /// is the label is data (a string label); one of numbers and a stray word is data, refused.
    func testHeaderDetection() throws {
        let t = try parse("radius,texture,diagnosis\n1.5,2,M\n3,4,B\n")
        XCTAssertEqual(t.featureNames, ["radius", "texture"])
        XCTAssertEqual(t.labelName, "diagnosis")
        XCTAssertEqual(t.rows, 2)
        XCTAssertEqual(t.classNames, ["B", "M"])
        XCTAssertEqual(t.labels, [1, 0])
        let noHeader = try parse("1.5,2,M\n3,4,B\n")
        XCTAssertNil(noHeader.featureNames)
        XCTAssertEqual(noHeader.rows, 2)
        assertFails("d.csv:1: column 2 'x' is not a finite number") { try parse("1,x,2\n3,4,5\n") }
        XCTAssertEqual(try parse(",a,label\n0,1,2\n").featureNames, ["", "a"], "pandas' index column has an empty name")
        // Told: a numeric header row, and a header refused.
        let told = try parse("1,2,3\n4,5,0\n", CSV.Options(header: .present))
        XCTAssertEqual(told.featureNames, ["1", "2"])
        XCTAssertEqual(told.rows, 1)
        assertFails("d.csv:1: column 1 'a' is not a finite number") { try parse("a,b,c\n1,2,0\n", CSV.Options(header: .absent)) }
        assertFails("d.csv: no data rows (only a header row)") { try parse("a,b,c\n") }
    }

    func testLabelByNameOrIndex() throws {
        let text = "diagnosis,radius,texture\nM,1,2\nB,3,4\nM,5,6\n"
        for choice in [CSV.LabelColumn.name("diagnosis"), .index(0)] {
            let t = try parse(text, CSV.Options(label: choice))
            XCTAssertEqual(t.features, [1, 2, 3, 4, 5, 6], "\(choice)")
            XCTAssertEqual(t.labels, [1, 0, 1])
            XCTAssertEqual(t.classNames, ["B", "M"])
            XCTAssertEqual(t.featureNames, ["radius", "texture"])
            XCTAssertEqual(t.labelName, "diagnosis")
            XCTAssertEqual(t.labelColumn, 0)
        }
        let middle = try parse("a,y,b\n1,7,2\n", CSV.Options(label: .name("y")))
        XCTAssertEqual(middle.features, [1, 2])
        XCTAssertEqual(middle.labels, [7])
        let none = try parse("1,2\n3,4\n", CSV.Options(label: .none))
        XCTAssertEqual(none.featureCount, 2)
        XCTAssertEqual(none.labels, [])
        assertFails("d.csv:1: no column is named 'kind' (the header: 'diagnosis', 'radius', 'texture')") { try parse(text, CSV.Options(label: .name("kind"))) }
        assertFails("d.csv:1: columns 1 and 3 are both named 'y'") { try parse("y,a,y\n1,2,3\n", CSV.Options(label: .name("y"))) }
        assertFails("d.csv:1: label column 3 (0-based) is outside the 3 columns") { try parse("1,2,3\n", CSV.Options(label: .index(3))) }
        assertFails("d.csv:1: the label column is chosen by name ('y') but the file has no header row") {
            try parse("1,2,3\n", CSV.Options(header: .absent, label: .name("y")))
        }
    }

    /// String labels: the distinct ones sorted by their bytes (not by first appearance),
    /// the same every time; fixed names from a training file; numbers stay numbers.
    func testStringLabelsMapDeterministically() throws {
        let t = try parse("1,setosa\n2,virginica\n3,versicolor\n4,setosa\n5,Zebra\n")
        XCTAssertEqual(t.classNames, ["Zebra", "setosa", "versicolor", "virginica"])
        XCTAssertEqual(t.labels, [1, 3, 2, 1, 0])
        XCTAssertEqual(t.classes, 4)
        let fixed = try parse("9,virginica\n8,setosa\n", CSV.Options(labels: .classNames(t.classNames!, source: "the training file t.csv")))
        XCTAssertEqual(fixed.labels, [3, 1])
        XCTAssertEqual(fixed.classNames, t.classNames)
        assertFails("d.csv:2: label 'rose' is not one of the 4 classes of the training file t.csv ('Zebra', 'setosa', 'versicolor', 'virginica')") {
            try parse("9,virginica\n8,rose\n", CSV.Options(labels: .classNames(t.classNames!, source: "the training file t.csv")))
        }
        // Mixed numbers and names are names; numbers alone are class numbers.
        XCTAssertEqual(try parse("1,10\n2,9\n3,x\n").classNames, ["10", "9", "x"])
        XCTAssertEqual(try parse("1,10\n2,9\n").labels, [10, 9])
        XCTAssertEqual(try parse("1,b\n2,a\n", CSV.Options(labels: .names)).classNames, ["a", "b"])
        XCTAssertEqual(try parse("1,3\n", CSV.Options(labels: .names)).classNames, ["3"])
        assertFails("d.csv:2: the label is empty") { try parse("1,a\n2,\n") }
    }

    func testQuotedFields() throws {
        let t = try parse("\"x, the first\",\"say \"\"hi\"\"\",label\r\n\" 1.5 \",2,\"New\nYork\"\n3,4,\"a\"\"b\"\n")
        XCTAssertEqual(t.featureNames, ["x, the first", "say \"hi\""])
        XCTAssertEqual(t.features, [1.5, 2, 3, 4])
        XCTAssertEqual(t.classNames, ["New\nYork", "a\"b"])
        // Line numbers count the newlines inside quotes.
        assertFails("d.csv:3: column 1 'x' is not a finite number") { try parse("\"1\n\",2,0\nx,2,0\n", CSV.Options(header: .absent)) }
        assertFails("d.csv:2: column 2: a quoted field is not closed") { try parse("1,2\n3,\"4\n") }
        assertFails("d.csv:1: column 1: text after the closing quote") { try parse("\"1\"2,3\n") }
        // A quoted newline in a message is written \n: the message stays one line.
        assertFails("d.csv:1: label 'a\\nb' is not a class number in 0..<2") { try parse("1,\"a\nb\"\n", CSV.Options(labels: .integers(classes: 2))) }
        // A byte-order mark is skipped.
        XCTAssertEqual(try parse("\u{FEFF}a,b\n1,0\n").featureNames, ["a"])
    }

    func testRefusals() {
        let cases: [(String, CSV.Options, String)] = [
            ("1,2,0\n3,1\n", CSV.Options(), "d.csv:2: 2 columns, but the first row has 3"),
            ("1,2,0\n3,x,1\n", CSV.Options(), "d.csv:2: column 2 'x' is not a finite number"),
            ("1,nan,0\n", CSV.Options(header: .absent), "column 2 'nan' is not a finite number"),
            ("1,1e39,0\n", CSV.Options(header: .absent), "column 2 '1e39' is not a finite number"),
            ("1,2e38,0\n", CSV.Options(scale: 10), "column 2 '2e38' times the scale is not finite"),
            ("1,2,7\n", CSV.Options(labels: .integers(classes: 2)), "d.csv:1: label '7' is not a class number in 0..<2"),
            ("1,2,0.5\n", CSV.Options(labels: .integers(classes: 2)), "label '0.5' is not a class number"),
            ("", CSV.Options(), "d.csv: no data rows"),
            ("\n\n", CSV.Options(), "d.csv: no data rows"),
            ("1,2\n3,4\n5,6\n", CSV.Options(maxRows: 2), "d.csv:3: more rows than the 2 expected"),
            ("1,2\n", CSV.Options(featureCount: 64), "d.csv:1: 2 columns; 64 feature columns are expected (a label column may follow)"),
            (String(repeating: "1,", count: 100_000) + "1\n", CSV.Options(), "d.csv:1: 100001 columns, more than the 65536 allowed"),
        ]
        for (text, options, fragment) in cases {
            assertFails(fragment) { try parse(text, options) }
        }
        // One 8 MB field: refused with a short quote, without a String of it.
        let huge = String(repeating: "1", count: 8 << 20) + ",0\n"
        XCTAssertEqual(failure { try parse(huge) }, "d.csv:1: column 1 '\(String(repeating: "1", count: 24))…' is not a finite number")
        // 'a' and 20 two-byte letters: byte 24 is the middle of the 12th, so 11 are quoted.
        let accents = "a" + String(repeating: "é", count: 20)
        XCTAssertEqual(failure { try parse("1,\(accents),0\n2,3,0\n", CSV.Options(header: .absent)) },
                       "d.csv:1: column 2 'a\(String(repeating: "é", count: 11))…' is not a finite number")
        // Distinct labels are capped.
        let many = (0...CSV.maxClasses).map { "1,c\($0)" }.joined(separator: "\n")
        assertFails("d.csv:65537: more than 65536 different labels") { try parse(many) }
    }

    /// pith-run's inputs: the model fixes the width; a label column after it is skipped.
    func testFeatureCountAndSkippedLabels() throws {
        let withLabel = try parse("1,2,cat\n3,4,dog\n", CSV.Options(labels: .ignore, featureCount: 2))
        XCTAssertEqual(withLabel.features, [1, 2, 3, 4])
        XCTAssertEqual(withLabel.labels, [])
        let without = try parse("a,b\n1,2\n", CSV.Options(labels: .ignore, featureCount: 2))
        XCTAssertEqual(without.features, [1, 2])
        XCTAssertNil(without.labelColumn)
        XCTAssertEqual(without.featureNames, ["a", "b"])
    }

    func testClassNamesOfStrings() {
        let r = ClassNames.classes(of: ["dog", "cat", "dog", "émeu", "ant"])
        XCTAssertEqual(r.names, ["ant", "cat", "dog", "émeu"])
        XCTAssertEqual(r.labels, [2, 1, 2, 3, 0])
    }
}
